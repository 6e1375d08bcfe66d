/*
 * registry.c - the table of workload descriptions, generated from
 * workloads.def so that adding a pair never means editing this file.
 */
#include <string.h>

#include "workload.h"

#define WORKLOAD(name) extern const struct wl_info wl_info_##name;
#include "workloads.def"
#undef WORKLOAD

const struct wl_info *const wl_registry[] = {
#define WORKLOAD(name) &wl_info_##name,
#include "workloads.def"
#undef WORKLOAD
};

const size_t wl_registry_len = sizeof(wl_registry) / sizeof(wl_registry[0]);

int wl_find(const char *name)
{
	for (size_t i = 0; i < wl_registry_len; i++)
		if (strcmp(wl_registry[i]->name, name) == 0)
			return (int)i;
	return -1;
}

const char *wl_kind_name(enum wl_kind kind)
{
	return kind == WL_CPU ? "cpu" : "io";
}
