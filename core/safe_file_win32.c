/* dt_safe_create and friends on Windows (safe_file.h states the rules).
 *
 * A regular file is created fresh beside NAME (CREATE_NEW: never opens an
 * existing file, link or reparse point) with a DACL that grants only its
 * owner (the current user) access, then moved over NAME with
 * MoveFileEx(MOVEFILE_REPLACE_EXISTING), which replaces a symlink or
 * junction entry instead of following it. A named pipe path
 * (\\.\pipe\...) is opened as it is: it is the only "special file" a
 * recording is written to on Windows. Directories are refused. */
#include "safe_file.h"

#include <windows.h>
#include <aclapi.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errsz, const char *path, const char *what, DWORD e)
{
    snprintf(err, errsz, "%s: %s (Windows error %lu)", path, what, (unsigned long)e);
    errno = e == ERROR_ACCESS_DENIED ? EACCES : e == ERROR_PATH_NOT_FOUND ? ENOENT : EIO;
    return -1;
}

/* A security descriptor whose DACL gives the current user (the file's
 * owner) full access and nobody else anything: the 0600 of Windows. */
static bool owner_only_sd(SECURITY_DESCRIPTOR *sd, PACL *acl_out)
{
    HANDLE tok;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
        return false;
    union { TOKEN_USER tu; char raw[256]; } u;
    DWORD got = 0;
    bool ok = GetTokenInformation(tok, TokenUser, &u, sizeof u, &got);
    CloseHandle(tok);
    if (!ok)
        return false;
    EXPLICIT_ACCESS_A ea = { 0 };
    ea.grfAccessPermissions = GENERIC_ALL;
    ea.grfAccessMode = SET_ACCESS;
    ea.grfInheritance = NO_INHERITANCE;
    ea.Trustee.TrusteeForm = TRUSTEE_IS_SID;
    ea.Trustee.TrusteeType = TRUSTEE_IS_USER;
    ea.Trustee.ptstrName = (LPSTR)u.tu.User.Sid;
    PACL acl = NULL;
    if (SetEntriesInAclA(1, &ea, NULL, &acl) != ERROR_SUCCESS)
        return false;
    if (!InitializeSecurityDescriptor(sd, SECURITY_DESCRIPTOR_REVISION) || !SetSecurityDescriptorDacl(sd, TRUE, acl, FALSE)) {
        LocalFree(acl);
        return false;
    }
    /* protected: the folder's inheritable entries are not added */
    SetSecurityDescriptorControl(sd, SE_DACL_PROTECTED, SE_DACL_PROTECTED);
    *acl_out = acl;
    return true;
}

int dt_safe_create(const char *path, char *err, size_t errsz)
{
    if (strncmp(path, "\\\\.\\pipe\\", 9) == 0) {
        HANDLE h = CreateFileA(path, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
        if (h == INVALID_HANDLE_VALUE)
            return fail(err, errsz, path, "cannot open the pipe", GetLastError());
        int fd = _open_osfhandle((intptr_t)h, _O_BINARY | _O_WRONLY);
        if (fd < 0)
            CloseHandle(h);
        return fd;
    }
    DWORD attr = GetFileAttributesA(path);
    if (attr != INVALID_FILE_ATTRIBUTES && (attr & FILE_ATTRIBUTE_DIRECTORY) && !(attr & FILE_ATTRIBUTE_REPARSE_POINT))
        return fail(err, errsz, path, "is a directory", ERROR_ACCESS_DENIED);
    SECURITY_DESCRIPTOR sd;
    PACL acl = NULL;
    if (!owner_only_sd(&sd, &acl))
        return fail(err, errsz, path, "cannot build an owner-only security descriptor", GetLastError());
    SECURITY_ATTRIBUTES sa = { sizeof sa, &sd, FALSE };
    size_t len = strlen(path);
    char *tmp = malloc(len + 32);
    if (!tmp) {
        LocalFree(acl);
        return fail(err, errsz, path, "out of memory", ERROR_OUTOFMEMORY);
    }
    HANDLE h = INVALID_HANDLE_VALUE;
    for (unsigned i = 0; i < 100 && h == INVALID_HANDLE_VALUE; i++) {
        snprintf(tmp, len + 32, "%s.%lu.%u.tmp", path, (unsigned long)GetCurrentProcessId(), i);
        /* FILE_SHARE_DELETE: MoveFileEx below opens the file again to
         * rename it while this handle stays open; the owner-only DACL keeps
         * everyone else from using that share. */
        h = CreateFileA(tmp, GENERIC_WRITE | DELETE, FILE_SHARE_DELETE, &sa, CREATE_NEW,
                        FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
        if (h == INVALID_HANDLE_VALUE && GetLastError() != ERROR_FILE_EXISTS)
            break;
    }
    LocalFree(acl);
    if (h == INVALID_HANDLE_VALUE) {
        DWORD e = GetLastError();
        free(tmp);
        return fail(err, errsz, path, "cannot create", e);
    }
    if (!MoveFileExA(tmp, path, MOVEFILE_REPLACE_EXISTING)) {
        DWORD e = GetLastError();
        DeleteFileA(tmp);
        CloseHandle(h);
        free(tmp);
        return fail(err, errsz, path, "cannot replace", e);
    }
    free(tmp);
    int fd = _open_osfhandle((intptr_t)h, _O_BINARY | _O_WRONLY);
    if (fd < 0) {
        CloseHandle(h);
        return fail(err, errsz, path, "cannot open", ERROR_TOO_MANY_OPEN_FILES);
    }
    return fd;
}

ssize_t dt_safe_write(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    size_t left = n;
    while (left) {
        int w = _write(fd, p, left > 0x40000000u ? 0x40000000u : (unsigned)left);
        if (w <= 0)
            return -1;
        p += w;
        left -= (size_t)w;
    }
    return (ssize_t)n;
}

FILE *dt_safe_fopen(const char *path, char *err, size_t errsz)
{
    int fd = dt_safe_create(path, err, errsz);
    if (fd < 0)
        return NULL;
    FILE *f = _fdopen(fd, "wb");
    if (!f) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        _close(fd);
    }
    return f;
}
