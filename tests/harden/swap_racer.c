/* The hostile user of test_unix_tap: swaps a freshly created socket at
 * FRONT for a symlink to VICTIM as fast as it can, until STOP exists.
 * (A tight C loop: the window it aims at is a few microseconds wide.) */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: swap_racer FRONT VICTIM STOP\n");
        return 2;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.evil", argv[1]);
    unsigned long swaps = 0;
    for (unsigned long i = 0;; i++) {
        struct stat st;
        if ((i & 0xfff) == 0 && access(argv[3], F_OK) == 0)
            break;
        if (lstat(argv[1], &st) == 0 && S_ISSOCK(st.st_mode)) {
            symlink(argv[2], tmp);
            if (rename(tmp, argv[1]) == 0)
                swaps++;
        }
    }
    printf("%lu swaps\n", swaps);
    return 0;
}
