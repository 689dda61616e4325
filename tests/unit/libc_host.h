/*
 * lib/c's ctype, stdlib, string and strings functions, under test on the
 * host. The unit runner builds lib/c/ctype.c, stdlib.c, string.c and
 * strings.c against lib/c's own headers with this file forced in
 * (-include) and CAPOS_LIBC_RENAME
 * defined, which gives every function a capos_ prefix: they must neither
 * clash with the host C library nor replace it for the rest of the runner
 * (and the sanitizers' runtime). The tests include it for the prototypes.
 */
#ifndef CAPOS_LIBC_HOST_H
#define CAPOS_LIBC_HOST_H

#ifdef CAPOS_LIBC_RENAME
#define isalnum capos_isalnum
#define isalpha capos_isalpha
#define isblank capos_isblank
#define iscntrl capos_iscntrl
#define isdigit capos_isdigit
#define isgraph capos_isgraph
#define islower capos_islower
#define isprint capos_isprint
#define ispunct capos_ispunct
#define isspace capos_isspace
#define isupper capos_isupper
#define isxdigit capos_isxdigit
#define tolower capos_tolower
#define toupper capos_toupper
#define atoi capos_atoi
#define atol capos_atol
#define atoll capos_atoll
#define strtol capos_strtol
#define strtoll capos_strtoll
#define strtoul capos_strtoul
#define strtoull capos_strtoull
#define memcpy capos_memcpy
#define memmove capos_memmove
#define memset capos_memset
#define memcmp capos_memcmp
#define memchr capos_memchr
#define strlen capos_strlen
#define strnlen capos_strnlen
#define strcmp capos_strcmp
#define strncmp capos_strncmp
#define strchr capos_strchr
#define strncpy capos_strncpy
#define strcpy capos_strcpy
#define strcat capos_strcat
#define strncat capos_strncat
#define strstr capos_strstr
#define strpbrk capos_strpbrk
#define strcasecmp capos_strcasecmp
#define strncasecmp capos_strncasecmp
#else
#include <stddef.h>
void *capos_memcpy(void *dst, const void *src, size_t n);
void *capos_memmove(void *dst, const void *src, size_t n);
void *capos_memset(void *dst, int c, size_t n);
int capos_memcmp(const void *a, const void *b, size_t n);
char *capos_strstr(const char *hay, const char *needle);
char *capos_strpbrk(const char *s, const char *accept);
int capos_strcasecmp(const char *a, const char *b);
int capos_strncasecmp(const char *a, const char *b, size_t n);
char *capos_strncat(char *dst, const char *src, size_t n);
char *capos_strncpy(char *dst, const char *src, size_t n);
int capos_isalnum(int c);
int capos_isalpha(int c);
int capos_isblank(int c);
int capos_iscntrl(int c);
int capos_isdigit(int c);
int capos_isgraph(int c);
int capos_islower(int c);
int capos_isprint(int c);
int capos_ispunct(int c);
int capos_isspace(int c);
int capos_isupper(int c);
int capos_isxdigit(int c);
int capos_tolower(int c);
int capos_toupper(int c);
int capos_atoi(const char *s);
long capos_atol(const char *s);
long long capos_atoll(const char *s);
long capos_strtol(const char *s, char **end, int base);
long long capos_strtoll(const char *s, char **end, int base);
unsigned long capos_strtoul(const char *s, char **end, int base);
unsigned long long capos_strtoull(const char *s, char **end, int base);
#endif

#endif
