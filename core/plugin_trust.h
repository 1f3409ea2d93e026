/* Which plugins a (root) diagtap may load. A plugin runs with diagtap's
 * privileges, so, as sshd does for its keys, a plugin is refused when its
 * file or directory could have been written by someone else:
 * - the .so: a regular file (not a symlink), owned by root or by the user
 *   running diagtap, not writable by group or others;
 * - its directory: the same owners, not writable by group or others;
 * - every directory above it: the same owners, and not writable by group or
 *   others unless sticky (/tmp: nobody can rename our entries there).
 * The platform part lives in plugin_trust_posix.c. */
#ifndef DIAGTAP_CORE_PLUGIN_TRUST_H
#define DIAGTAP_CORE_PLUGIN_TRUST_H

#include <stddef.h>

/* 0 when plugins may be loaded from dir; -1 with a reason in why (1: dir
 * does not exist, nothing to load). */
int dt_plugin_dir_trusted(const char *dir, char *why, size_t whysz);

/* Opens dir/name for loading: a descriptor whose file passed the checks
 * (load it through its /proc/self/fd path, so it cannot be swapped after
 * the check), or -1 with a reason in why. */
int dt_plugin_open_trusted(int dirfd, const char *name, char *why, size_t whysz);

#endif
