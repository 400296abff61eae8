/*
 * What the parent and a host send each other over MPI (mpi.c): the tag says
 * what a message carries. A sender's messages to one receiver arrive in
 * order, which both sides rely on.
 */
#ifndef MPROC_MPI_PROTOCOL_H
#define MPROC_MPI_PROTOCOL_H

enum {
  /* parent -> host */
  T_START = 1, /* [silence_ms:i32, ticket:i32, n:i32, n Events' states:u8, the
                worker's START bytes]: start it (one at a time) */
  T_DATA,      /* stream bytes, either way */
  T_SIGNAL,    /* [force:i32]: end the worker */
  T_CANCEL,    /* [on:i32]: the pool's cancellation flag */
  T_SHUTDOWN,  /* end the host: it finalizes MPI and exits */
  /* host -> parent */
  T_STARTED, /* [status:i32, ticket:i32, message]: the outcome of the START with
                that ticket (what came before it is an earlier worker's) */
  T_EOF,     /* the worker's stream ended */
  T_EXITED,  /* [exit code:i32]: the worker was reaped */
  /* the benchmark's bare limits (bench/mpi.c), with no pool running */
  T_PING, /* any bytes: sent back as PONG */
  T_SINK, /* any bytes, dropped; an empty one is acked with an empty PONG */
  T_PONG,
  /* either way */
  T_EVENT, /* [index:i32, on:i32]: an initargs Event changed; the parent, told by
              a host, tells every host */
  T_ALIVE  /* empty: a beat, every 500 ms (mproc_mpi_options.host_silence_ms) */
};

#endif /* MPROC_MPI_PROTOCOL_H */
