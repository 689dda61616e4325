/*
 * Character classes of the "C" locale, the only locale capOS has. Each
 * function takes an int holding an unsigned char value or EOF (-1), as in
 * ISO C; any other value is not a character and belongs to no class.
 */
#ifndef CAPOS_CTYPE_H
#define CAPOS_CTYPE_H

int isalnum(int c);
int isalpha(int c);
int isblank(int c);
int iscntrl(int c);
int isdigit(int c);
int isgraph(int c);
int islower(int c);
int isprint(int c);
int ispunct(int c);
int isspace(int c);
int isupper(int c);
int isxdigit(int c);
int tolower(int c);
int toupper(int c);

#endif
