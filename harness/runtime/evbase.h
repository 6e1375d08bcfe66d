/*
 * evbase.h - the one way this project makes a libevent event_base: with
 * precise timers.  Without EVENT_BASE_FLAG_PRECISE_TIMER epoll rounds every
 * timeout up to whole milliseconds, so a 1 ms wait would take up to 2; the
 * async models, bin/backend and bin/calibrate all need the same base or the
 * comparison is not fair (there were three copies).  Linked only by the
 * programs that use libevent.
 */
#ifndef EVBASE_H
#define EVBASE_H

#include <stddef.h>

#include <event2/event.h>

/*
 * evbase_new_precise - a new event_base with precise (timerfd) timers.
 * Returns it, or NULL with one line in err (libevent out of memory, or a
 * backend that cannot give precise timers: refused, not silently coarse).
 */
struct event_base *evbase_new_precise(char *err, size_t errlen);

#endif
