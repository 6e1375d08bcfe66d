/*
 * evbase.c - event_base with precise timers (evbase.h).
 */
#include <stdio.h>

#include "evbase.h"

struct event_base *evbase_new_precise(char *err, size_t errlen)
{
	struct event_config *ec = event_config_new();
	if (!ec) {
		snprintf(err, errlen, "event_config_new failed (out of memory?)");
		return NULL;
	}
	struct event_base *base = NULL;
	if (event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER) != 0)
		snprintf(err, errlen, "libevent refused EVENT_BASE_FLAG_PRECISE_TIMER");
	else if (!(base = event_base_new_with_config(ec)))
		snprintf(err, errlen, "event_base_new failed (out of memory, or no backend with "
				      "precise timers)");
	event_config_free(ec);
	return base;
}
