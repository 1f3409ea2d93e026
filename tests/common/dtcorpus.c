#include "dtcorpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

bool dt_corpus_path(const char *rel, char *out, size_t outsz)
{
    const char *dir = getenv("DIAGTAP_CORPUS");
    snprintf(out, outsz, "%s/%s", dir && *dir ? dir : "../shared/corpus", rel);
    struct stat st;
    return stat(out, &st) == 0;
}

bool dt_corpus_missing(const char *rel)
{
    char path[4096];
    if (dt_corpus_path(rel, path, sizeof path))
        return false;
    printf("SKIP: corpus not found at %s\n", path);
    fflush(stdout);
    return true;
}

void dt_corpus_require(const char *rel)
{
    if (dt_corpus_missing(rel))
        exit(77);
}
