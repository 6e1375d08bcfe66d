/*
 * data_file.h - the data file a file-reading pair reads (WL_OPT_DATA_FILE):
 * made once, reused by every run and every model, and put in the page-cache
 * state the run asked for (--cache warm|cold) before the clock starts.
 *
 * Its content is a pure function of the offset (data_file_word), so two
 * models reading the same offsets fold the same bytes into their checksums,
 * and a file left by a crashed or older run is recognised as wrong and made
 * again.
 */
#ifndef DATA_FILE_H
#define DATA_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "../../workloads/workload.h"

#define DATA_FILE_FS_MAX 32 /* longest file-system name ("ext4", "0x58465342") */

/* The file a run reads, and what the report says about it. */
struct data_file {
	int fd;                       /* read-only, POSIX_FADV_RANDOM; -1: none */
	uint64_t bytes;               /* its size */
	char fs[DATA_FILE_FS_MAX];    /* the file system it is on */
	double cached_pct;            /* its pages in the page cache at the clock's start */
	int made;                     /* 1: this run made it (0: reused) */
	char path[4096];              /* where it is */
};

/*
 * data_file_prepare - DIR/tvsa-data-<MIB>m.bin, made if missing or wrong
 * (free space checked first; written to a temporary name, fsynced and
 * renamed, so no run ever sees half a file), opened read-only, then warmed
 * (every page read once into the cache, unless all already are) or dropped
 * from the cache (POSIX_FADV_DONTNEED; its pages are clean, so they go).
 * Returns 0 with *df filled, or -1 with one line in err ("--data-dir D:
 * 900 MiB free, the data file needs 1024 MiB (--file-mib)").
 * Cost: making 1 GiB, a few seconds once; warming it from the cache, ~0.2 s.
 */
int data_file_prepare(const char *dir, uint64_t mib, enum wl_cache cache, struct data_file *df,
		      char *err, size_t errlen);

/* data_file_word - the file's 8-byte word number k (little-endian on disk):
 * what a reader of the file may check it against. */
uint64_t data_file_word(uint64_t k);

#endif
