/*
 * What both libFuzzer targets do to start from valid inputs: find the
 * corpus directory they were given and write seed files into it.
 */
#ifndef MPROC_FUZZ_SEED_H
#define MPROC_FUZZ_SEED_H

#include <stdio.h>

/* The first corpus directory libFuzzer was given (its first argument that
 * is not an option), or NULL. */
static inline const char *fuzz_corpus_dir(int argc, char **argv) {
  int i;
  for (i = 1; i < argc; i++)
    if (argv[i][0] != '-')
      return argv[i];
  return NULL;
}

/* Writes @head (@head_len bytes; 0: none) then @len bytes of @data to
 * @dir/@name; a directory that cannot take it is skipped. */
static inline void fuzz_write_seed(const char *dir, const char *name, const void *head,
                                   size_t head_len, const void *data, size_t len) {
  char path[4096];
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if ((f = fopen(path, "wb")) != NULL) {
    if (head_len)
      fwrite(head, 1, head_len, f);
    fwrite(data, 1, len, f);
    fclose(f);
  }
}

#endif
