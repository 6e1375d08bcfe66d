/*
 * io_backend.h - an I/O-bound pair over a real socket: each task is one
 * request to bin/backend and its verified reply.
 */
#ifndef IO_BACKEND_H
#define IO_BACKEND_H

#define IO_BACKEND_DEFAULT_DELAY_US 1000 /* the backend's service time */

/* The task result is the reply's digest (wire_client_req/wire_check_rep). */

#endif
