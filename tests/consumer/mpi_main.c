/* A program built against an installed mproc's MPI backend: a pool of one
 * worker on the job's other rank squares a number. */
#include <stdio.h>

#include <mproc/mpi.h>

static int square(const mproc_args *args, mproc_args *result) {
  int64_t x = 0;
  return mproc_args_unpack(args, "i64", &x) || mproc_args_pack(result, "i64", x * x);
}

static const mproc_function functions[] = {MPROC_FUNCTION(square), MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_pool *pool = NULL;
  mproc_args *a = NULL, *r = NULL;
  int64_t y = 0;
  if (mproc_mpi_init(&argc, &argv, functions) != MPROC_OK || /* hosts never return */
      mproc_mpi_pool_create(&pool, &(mproc_pool_options){.workers = 1}, NULL) != MPROC_OK ||
      mproc_args_create_packed(&a, "i64", (int64_t)7) != MPROC_OK ||
      mproc_pool_apply(pool, "square", a, &r) != MPROC_OK ||
      mproc_args_unpack(r, "i64", &y) != MPROC_OK) {
    fprintf(stderr, "consumer_mpi: %s\n", mproc_last_error());
    return 1;
  }
  printf("consumer_mpi: 7 squared on an MPI host is %lld\n", (long long)y);
  mproc_args_destroy(a);
  mproc_args_destroy(r);
  return mproc_pool_destroy(pool) != MPROC_OK || y != 49;
}
