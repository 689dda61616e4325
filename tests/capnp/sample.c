/*
 * The sample message of tests/capnp/sample.txt, built with the generated
 * builders (sample_build) and checked with the generated readers
 * (sample_check). The round-trip suite and the unit tests share both.
 */
#include "sample.h"

#define TRY(x)                          \
	do {                            \
		int err_ = (x);         \
		if (err_ != 0)          \
			return err_;    \
	} while (0)

static int
set_text_list(struct capnp_lb *l, const char *const *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		TRY(capnp_lb_set_text(l, i, v[i], strlen(v[i])));
	return 0;
}

static int
set_prims(struct capnp_lb *l, const uint64_t *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		TRY(capnp_lb_set_prim(l, i, v[i]));
	return 0;
}

static int
build_inner(struct capnp_lb *l, uint32_t i, uint32_t id, const char *label)
{
	struct t_Inner_b in;

	TRY(t_Inner_b_at(l, i, &in));
	t_Inner_set_id(&in, id);
	if (label != NULL)
		TRY(t_Inner_set_label(&in, label, strlen(label)));
	return 0;
}

static int
build_scalars(struct t_AllTypes_b *a)
{
	struct t_Inner_b in;

	t_AllTypes_set_boolField(a, true);
	t_AllTypes_set_int8Field(a, -123);
	t_AllTypes_set_int16Field(a, -12345);
	t_AllTypes_set_int32Field(a, -1234567890);
	t_AllTypes_set_int64Field(a, -1234567890123456789LL);
	t_AllTypes_set_uint8Field(a, 234);
	t_AllTypes_set_uint16Field(a, 45678);
	t_AllTypes_set_uint32Field(a, 3456789012u);
	t_AllTypes_set_uint64Field(a, 12345678901234567890ull);
	t_AllTypes_set_float32Field(a, 1.25f);
	t_AllTypes_set_float64Field(a, -1024.5);
	TRY(t_AllTypes_set_textField(a, "hello, capnp", 12));
	TRY(t_AllTypes_set_dataField(a, "\x00\x01\x02\xff", 4));
	TRY(t_AllTypes_init_structField(a, &in));
	t_Inner_set_id(&in, 7);
	TRY(t_Inner_set_label(&in, "seven", 5));
	t_AllTypes_set_enumField(a, t_Color_green);
	return 0;
}

static int
build_prim_lists(struct t_AllTypes_b *a)
{
	static const uint64_t i8[] = { (uint8_t)-1, 2, (uint8_t)-3 };
	static const uint64_t i16[] = { (uint16_t)-300, 400 };
	static const uint64_t i32[] = { (uint32_t)-70000, 80000, 0 };
	static const uint64_t i64[] = { (uint64_t)-5000000000LL, 6000000000 };
	static const uint64_t u8[] = { 1, 255 }, u16[] = { 65535, 0, 1 };
	static const uint64_t u32[] = { 4294967295u, 17 };
	static const uint64_t u64[] = { UINT64_MAX, 3 };
	/* 0.5f, -8.0f, 0.25 and 1e100 as IEEE 754 bit patterns. */
	static const uint64_t f32[] = { 0x3f000000, 0xc1000000 };
	static const uint64_t f64[] = { 0x3fd0000000000000ull,
	    0x54b249ad2594c37dull };
	static const uint64_t en[] = { t_Color_blue, t_Color_red,
	    t_Color_green };
	static const bool bits[] = { 1, 0, 1, 1, 0, 0, 0, 0, 1 };
	struct capnp_lb l;

	TRY(t_AllTypes_init_boolList(a, 9, &l));
	for (uint32_t i = 0; i < 9; i++)
		TRY(capnp_lb_set_bit(&l, i, bits[i]));
	TRY(t_AllTypes_init_int8List(a, 3, &l));
	TRY(set_prims(&l, i8, 3));
	TRY(t_AllTypes_init_int16List(a, 2, &l));
	TRY(set_prims(&l, i16, 2));
	TRY(t_AllTypes_init_int32List(a, 3, &l));
	TRY(set_prims(&l, i32, 3));
	TRY(t_AllTypes_init_int64List(a, 2, &l));
	TRY(set_prims(&l, i64, 2));
	TRY(t_AllTypes_init_uint8List(a, 2, &l));
	TRY(set_prims(&l, u8, 2));
	TRY(t_AllTypes_init_uint16List(a, 3, &l));
	TRY(set_prims(&l, u16, 3));
	TRY(t_AllTypes_init_uint32List(a, 2, &l));
	TRY(set_prims(&l, u32, 2));
	TRY(t_AllTypes_init_uint64List(a, 2, &l));
	TRY(set_prims(&l, u64, 2));
	TRY(t_AllTypes_init_float32List(a, 2, &l));
	TRY(set_prims(&l, f32, 2));
	TRY(t_AllTypes_init_float64List(a, 2, &l));
	TRY(set_prims(&l, f64, 2));
	TRY(t_AllTypes_init_enumList(a, 3, &l));
	return set_prims(&l, en, 3);
}

static int
build_ptr_lists(struct t_AllTypes_b *a)
{
	static const char *const texts[] = { "a", "", "three" };
	static const uint64_t row0[] = { 1, 2, 3 }, row2[] = { (uint32_t)-4 };
	struct capnp_lb l, row;

	TRY(t_AllTypes_init_textList(a, 3, &l));
	TRY(set_text_list(&l, texts, 3));
	TRY(t_AllTypes_init_dataList(a, 2, &l));
	TRY(capnp_lb_set_data(&l, 0, "\x01", 1));
	TRY(capnp_lb_set_data(&l, 1, "", 0));
	TRY(t_AllTypes_init_structList(a, 3, &l));
	TRY(build_inner(&l, 0, 1, "one"));
	TRY(build_inner(&l, 1, 2, NULL));
	TRY(build_inner(&l, 2, 0, "three"));
	TRY(t_AllTypes_init_listList(a, 3, &l));
	TRY(capnp_lb_init_list(&l, 0, CAPNP_ELEM_FOUR, 3, &row));
	TRY(set_prims(&row, row0, 3));
	TRY(capnp_lb_init_list(&l, 1, CAPNP_ELEM_FOUR, 0, &row));
	TRY(capnp_lb_init_list(&l, 2, CAPNP_ELEM_FOUR, 1, &row));
	TRY(set_prims(&row, row2, 1));
	TRY(t_AllTypes_init_structListList(a, 2, &l));
	TRY(capnp_lb_init_struct_list(&l, 0, 1, t_Inner_DATA_WORDS,
	    t_Inner_PTR_COUNT, &row));
	TRY(build_inner(&row, 0, 10, NULL));
	TRY(capnp_lb_init_struct_list(&l, 1, 2, t_Inner_DATA_WORDS,
	    t_Inner_PTR_COUNT, &row));
	TRY(build_inner(&row, 0, 20, "x"));
	TRY(build_inner(&row, 1, 21, NULL));
	return t_AllTypes_init_voidList(a, 4, &l);
}

static int
build_unions(struct t_AllTypes_b *a)
{
	struct t_AllTypes_grp_b g;
	struct t_AllTypes_outer_b o;
	struct t_AllTypes_outer_nested_b n;
	struct t_Inner_b in;

	g = t_AllTypes_init_grp(a);
	t_AllTypes_grp_set_a(&g, 513);
	TRY(t_AllTypes_grp_set_b(&g, "in group", 8));
	o = t_AllTypes_init_outer(a);
	t_AllTypes_outer_set_x(&o, -9);
	n = t_AllTypes_outer_init_nested(&o);
	TRY(t_AllTypes_outer_nested_init_r(&n, &in));
	t_Inner_set_id(&in, 99);
	return t_Inner_set_label(&in, "deep", 4);
}

static int
build_defaults(struct t_AllTypes_b *a)
{
	struct t_Defaults_b d;

	TRY(t_AllTypes_init_defaults(a, &d));
	t_Defaults_set_i8(&d, 5);
	t_Defaults_set_u32(&d, 1);
	TRY(t_Defaults_set_t(&d, "set", 3));
	t_Defaults_set_e(&d, t_Color_red);
	TRY(t_AllTypes_init_zeroed(a, &d));
	t_Defaults_set_b(&d, false);
	t_Defaults_set_i8(&d, 0);
	t_Defaults_set_i16(&d, 0);
	t_Defaults_set_i32(&d, 0);
	t_Defaults_set_i64(&d, 0);
	t_Defaults_set_u8(&d, 0);
	t_Defaults_set_u16(&d, 0);
	t_Defaults_set_u32(&d, 0);
	t_Defaults_set_u64(&d, 0);
	t_Defaults_set_f32(&d, 0);
	t_Defaults_set_f64(&d, 0);
	TRY(t_Defaults_set_t(&d, "", 0));
	TRY(t_Defaults_set_d(&d, "", 0));
	t_Defaults_set_e(&d, t_Color_red);
	return 0;
}

int
sample_build(struct capnp_builder *b)
{
	struct t_AllTypes_b a;

	TRY(t_AllTypes_init_root(b, &a));
	TRY(build_scalars(&a));
	TRY(build_prim_lists(&a));
	TRY(build_ptr_lists(&a));
	TRY(build_unions(&a));
	return build_defaults(&a);
}

/* Record one check; name says what was compared. */
#define C(name, cond) ck((name), (cond))

static bool
text_is(int err, const struct capnp_text *t, const char *want)
{
	return err == 0 && t->len == strlen(want) &&
	    strcmp(t->str, want) == 0;
}

static bool
data_is(int err, const struct capnp_data *d, const void *want, uint32_t n)
{
	return err == 0 && d->len == n && memcmp(d->ptr, want, n) == 0;
}

static uint32_t
f32_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

static void
check_scalars(const struct t_AllTypes_r *a, sample_check_fn ck)
{
	struct t_Inner_r in;
	struct capnp_text t;
	struct capnp_data d;
	int err;

	C("bool", t_AllTypes_get_boolField(a) == true);
	C("int8", t_AllTypes_get_int8Field(a) == -123);
	C("int16", t_AllTypes_get_int16Field(a) == -12345);
	C("int32", t_AllTypes_get_int32Field(a) == -1234567890);
	C("int64", t_AllTypes_get_int64Field(a) == -1234567890123456789LL);
	C("uint8", t_AllTypes_get_uint8Field(a) == 234);
	C("uint16", t_AllTypes_get_uint16Field(a) == 45678);
	C("uint32", t_AllTypes_get_uint32Field(a) == 3456789012u);
	C("uint64", t_AllTypes_get_uint64Field(a) == 12345678901234567890ull);
	C("float32", f32_bits(t_AllTypes_get_float32Field(a)) ==
	    f32_bits(1.25f));
	C("float64", t_AllTypes_get_float64Field(a) == -1024.5);
	err = t_AllTypes_get_textField(a, &t);
	C("text", text_is(err, &t, "hello, capnp"));
	err = t_AllTypes_get_dataField(a, &d);
	C("data", data_is(err, &d, "\x00\x01\x02\xff", 4));
	err = t_AllTypes_get_structField(a, &in);
	C("struct.id", err == 0 && t_Inner_get_id(&in) == 7);
	err = t_Inner_get_label(&in, &t);
	C("struct.label", text_is(err, &t, "seven"));
	C("enum", t_AllTypes_get_enumField(a) == t_Color_green);
	C("cap unset", t_AllTypes_get_capField(a, &(uint32_t){ 0 }) == 0);
}

static void
check_prim_lists(const struct t_AllTypes_r *a, sample_check_fn ck)
{
	static const bool bits[] = { 1, 0, 1, 1, 0, 0, 0, 0, 1 };
	struct capnp_list l;
	bool ok;
	int err;

	err = t_AllTypes_get_boolList(a, &l);
	ok = err == 0 && l.n == 9;
	for (uint32_t i = 0; ok && i < 9; i++)
		ok = capnp_list_bit(&l, i) == bits[i];
	C("boolList", ok);
	err = t_AllTypes_get_int8List(a, &l);
	C("int8List", err == 0 && l.n == 3 && (int8_t)capnp_list_u8(&l, 0) ==
	    -1 && capnp_list_u8(&l, 1) == 2 && (int8_t)capnp_list_u8(&l, 2) ==
	    -3);
	err = t_AllTypes_get_int16List(a, &l);
	C("int16List", err == 0 && l.n == 2 &&
	    (int16_t)capnp_list_u16(&l, 0) == -300 && capnp_list_u16(&l, 1) ==
	    400);
	err = t_AllTypes_get_int32List(a, &l);
	C("int32List", err == 0 && l.n == 3 &&
	    (int32_t)capnp_list_u32(&l, 0) == -70000 &&
	    capnp_list_u32(&l, 1) == 80000 && capnp_list_u32(&l, 2) == 0);
	err = t_AllTypes_get_int64List(a, &l);
	C("int64List", err == 0 && l.n == 2 &&
	    (int64_t)capnp_list_u64(&l, 0) == -5000000000LL &&
	    capnp_list_u64(&l, 1) == 6000000000ull);
	err = t_AllTypes_get_uint8List(a, &l);
	C("uint8List", err == 0 && l.n == 2 && capnp_list_u8(&l, 1) == 255);
	err = t_AllTypes_get_uint16List(a, &l);
	C("uint16List", err == 0 && l.n == 3 &&
	    capnp_list_u16(&l, 0) == 65535 && capnp_list_u16(&l, 2) == 1);
	err = t_AllTypes_get_uint32List(a, &l);
	C("uint32List", err == 0 && l.n == 2 &&
	    capnp_list_u32(&l, 0) == 4294967295u && capnp_list_u32(&l, 1) == 17);
	err = t_AllTypes_get_uint64List(a, &l);
	C("uint64List", err == 0 && l.n == 2 &&
	    capnp_list_u64(&l, 0) == UINT64_MAX && capnp_list_u64(&l, 1) == 3);
	err = t_AllTypes_get_float32List(a, &l);
	C("float32List", err == 0 && l.n == 2 &&
	    capnp_list_u32(&l, 0) == 0x3f000000 &&
	    capnp_list_u32(&l, 1) == 0xc1000000);
	err = t_AllTypes_get_float64List(a, &l);
	C("float64List", err == 0 && l.n == 2 &&
	    capnp_list_u64(&l, 0) == 0x3fd0000000000000ull &&
	    capnp_list_u64(&l, 1) == 0x54b249ad2594c37dull);
	err = t_AllTypes_get_enumList(a, &l);
	C("enumList", err == 0 && l.n == 3 &&
	    capnp_list_u16(&l, 0) == t_Color_blue &&
	    capnp_list_u16(&l, 1) == t_Color_red &&
	    capnp_list_u16(&l, 2) == t_Color_green);
	err = t_AllTypes_get_voidList(a, &l);
	C("voidList", err == 0 && l.n == 4);
}

static bool
inner_is(const struct capnp_list *l, uint32_t i, uint32_t id,
    const char *label)
{
	struct capnp_text t;
	struct t_Inner_r in;

	if (t_Inner_at(l, i, &in) != 0 || t_Inner_get_id(&in) != id)
		return false;
	if (label == NULL)
		return !t_Inner_has_label(&in);
	return text_is(t_Inner_get_label(&in, &t), &t, label);
}

static void
check_ptr_lists(const struct t_AllTypes_r *a, sample_check_fn ck)
{
	struct capnp_list l, row;
	struct capnp_text t0, t1, t2;
	struct capnp_data d0, d1;
	int err;

	err = t_AllTypes_get_textList(a, &l);
	C("textList", err == 0 && l.n == 3 &&
	    text_is(capnp_list_text(&l, 0, &t0), &t0, "a") &&
	    text_is(capnp_list_text(&l, 1, &t1), &t1, "") &&
	    text_is(capnp_list_text(&l, 2, &t2), &t2, "three"));
	err = t_AllTypes_get_dataList(a, &l);
	C("dataList", err == 0 && l.n == 2 &&
	    data_is(capnp_list_data(&l, 0, &d0), &d0, "\x01", 1) &&
	    data_is(capnp_list_data(&l, 1, &d1), &d1, "", 0));
	err = t_AllTypes_get_structList(a, &l);
	C("structList", err == 0 && l.n == 3 && inner_is(&l, 0, 1, "one") &&
	    inner_is(&l, 1, 2, NULL) && inner_is(&l, 2, 0, "three"));
	err = t_AllTypes_get_listList(a, &l);
	C("listList", err == 0 && l.n == 3 &&
	    capnp_list_list(&l, 0, CAPNP_ELEM_FOUR, &row) == 0 && row.n == 3 &&
	    capnp_list_u32(&row, 2) == 3 &&
	    capnp_list_list(&l, 1, CAPNP_ELEM_FOUR, &row) == 0 && row.n == 0 &&
	    capnp_list_list(&l, 2, CAPNP_ELEM_FOUR, &row) == 0 && row.n == 1 &&
	    (int32_t)capnp_list_u32(&row, 0) == -4);
	err = t_AllTypes_get_structListList(a, &l);
	C("structListList", err == 0 && l.n == 2 &&
	    capnp_list_list(&l, 0, CAPNP_ELEM_COMPOSITE, &row) == 0 &&
	    row.n == 1 && inner_is(&row, 0, 10, NULL) &&
	    capnp_list_list(&l, 1, CAPNP_ELEM_COMPOSITE, &row) == 0 &&
	    row.n == 2 && inner_is(&row, 0, 20, "x") &&
	    inner_is(&row, 1, 21, NULL));
}

static void
check_unions(const struct t_AllTypes_r *a, sample_check_fn ck)
{
	struct t_AllTypes_grp_r g = t_AllTypes_get_grp(a);
	struct t_AllTypes_outer_r o = t_AllTypes_get_outer(a);
	struct t_AllTypes_outer_nested_r n = t_AllTypes_outer_get_nested(&o);
	struct t_Inner_r in;
	struct capnp_text t;
	int err;

	C("which", t_AllTypes_which(a) == t_AllTypes_which_grp);
	C("grp.a", t_AllTypes_grp_get_a(&g) == 513);
	err = t_AllTypes_grp_get_b(&g, &t);
	C("grp.b", text_is(err, &t, "in group"));
	C("outer.x", t_AllTypes_outer_get_x(&o) == -9);
	C("outer.nested.which", t_AllTypes_outer_nested_which(&n) ==
	    t_AllTypes_outer_nested_which_r);
	err = t_AllTypes_outer_nested_get_r(&n, &in);
	C("outer.nested.r", err == 0 && t_Inner_get_id(&in) == 99 &&
	    text_is(t_Inner_get_label(&in, &t), &t, "deep"));
}

static void
check_defaults(const struct t_AllTypes_r *a, sample_check_fn ck)
{
	struct t_Defaults_r d, z;
	struct capnp_text t;
	struct capnp_data dd;

	C("defaults", t_AllTypes_get_defaults(a, &d) == 0);
	C("defaults.set", t_Defaults_get_i8(&d) == 5 &&
	    t_Defaults_get_u32(&d) == 1 && t_Defaults_get_e(&d) == t_Color_red &&
	    text_is(t_Defaults_get_t(&d, &t), &t, "set"));
	C("defaults.unset", t_Defaults_get_b(&d) == true &&
	    t_Defaults_get_i16(&d) == -1600 && t_Defaults_get_i32(&d) ==
	    -320000 && t_Defaults_get_i64(&d) == -640000000000LL &&
	    t_Defaults_get_u8(&d) == 200 && t_Defaults_get_u16(&d) == 60000 &&
	    t_Defaults_get_u64(&d) == 0xfedcba9876543210ull &&
	    t_Defaults_get_f32(&d) == 1.5f && t_Defaults_get_f64(&d) == -2.25);
	C("defaults.data", data_is(t_Defaults_get_d(&d, &dd), &dd,
	    "\xde\xad\xbe\xef", 4));
	C("zeroed", t_AllTypes_get_zeroed(a, &z) == 0);
	C("zeroed.values", !t_Defaults_get_b(&z) && t_Defaults_get_i8(&z) == 0 &&
	    t_Defaults_get_i16(&z) == 0 && t_Defaults_get_i32(&z) == 0 &&
	    t_Defaults_get_i64(&z) == 0 && t_Defaults_get_u8(&z) == 0 &&
	    t_Defaults_get_u16(&z) == 0 && t_Defaults_get_u32(&z) == 0 &&
	    t_Defaults_get_u64(&z) == 0 && t_Defaults_get_f32(&z) == 0 &&
	    t_Defaults_get_f64(&z) == 0 && t_Defaults_get_e(&z) == t_Color_red);
	C("zeroed.text", text_is(t_Defaults_get_t(&z, &t), &t, "") &&
	    data_is(t_Defaults_get_d(&z, &dd), &dd, "", 0));
}

void
sample_check(const struct t_AllTypes_r *a, sample_check_fn ck)
{
	check_scalars(a, ck);
	check_prim_lists(a, ck);
	check_ptr_lists(a, ck);
	check_unions(a, ck);
	check_defaults(a, ck);
}
