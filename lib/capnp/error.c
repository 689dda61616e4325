/* Names for the runtime's error codes, for logs and test output. */
#include "capnp.h"

static const char *const names[] = {
	[0] = "ok",
	[-CAPNP_E_TRUNCATED] = "truncated message",
	[-CAPNP_E_SEGCOUNT] = "bad segment count",
	[-CAPNP_E_BOUNDS] = "pointer out of bounds",
	[-CAPNP_E_FAR_SEGMENT] = "far pointer into missing segment",
	[-CAPNP_E_FAR_LANDING] = "bad far-pointer landing pad",
	[-CAPNP_E_TRAVERSAL] = "traversal limit exceeded",
	[-CAPNP_E_NESTING] = "nesting limit exceeded",
	[-CAPNP_E_TYPE] = "wrong pointer kind",
	[-CAPNP_E_ELEMSIZE] = "incompatible list element size",
	[-CAPNP_E_COMPOSITE] = "bad composite list tag",
	[-CAPNP_E_TEXT] = "text not NUL-terminated",
	[-CAPNP_E_INDEX] = "list index out of range",
	[-CAPNP_E_NOSPACE] = "builder out of space",
	[-CAPNP_E_TOOBIG] = "object too large",
	[-CAPNP_E_INVAL] = "invalid argument",
	[-CAPNP_E_SEGSIZE] = "segment too large",
};

const char *
capnp_strerror(int err)
{
	if (err > 0 || err < CAPNP_E_LAST)
		return "unknown error";
	return names[-err];
}
