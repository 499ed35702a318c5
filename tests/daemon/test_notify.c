/* test_notify.c: sd_notify datagrams (src/daemon/notify.c) to a socket of our own. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "daemon/notify.h"

static int bind_dgram(struct sockaddr_un *sa, socklen_t len)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *) sa, len), 0);
    return fd;
}

static void test_notify_without_socket_does_nothing(void **unused)
{
    (void) unused;
    assert_int_equal(unsetenv("NOTIFY_SOCKET"), 0);
    assert_int_equal(notify_send("READY=1"), 0);
}

static void test_notify_path_socket(void **unused)
{
    char dir[] = "/tmp/pgsup-notify-test.XXXXXX", buf[64];
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    ssize_t n;
    int fd;

    (void) unused;
    assert_non_null(mkdtemp(dir));
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", dir);
    fd = bind_dgram(&sa, sizeof(sa));
    assert_int_equal(setenv("NOTIFY_SOCKET", sa.sun_path, 1), 0);
    assert_int_equal(notify_send("READY=1"), 1);
    n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    assert_int_equal(n, 7);
    assert_memory_equal(buf, "READY=1", 7);
    close(fd);
    unlink(sa.sun_path);
    rmdir(dir);
}

static void test_notify_abstract_socket(void **unused)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char name[64], buf[64];
    ssize_t n;
    int fd;

    (void) unused;
    snprintf(name, sizeof(name), "@pgsup-notify-test-%d", (int) getpid());
    memcpy(sa.sun_path, name, strlen(name));
    sa.sun_path[0] = '\0';
    fd = bind_dgram(&sa, (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(name)));
    assert_int_equal(setenv("NOTIFY_SOCKET", name, 1), 0);
    assert_int_equal(notify_send("STOPPING=1"), 1);
    n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    assert_int_equal(n, 10);
    assert_memory_equal(buf, "STOPPING=1", 10);
    close(fd);
}

static void test_notify_bad_address(void **unused)
{
    (void) unused;
    assert_int_equal(setenv("NOTIFY_SOCKET", "relative/path", 1), 0);
    assert_int_equal(notify_send("READY=1"), -EINVAL);
    assert_int_equal(setenv("NOTIFY_SOCKET", "/nonexistent/pgsup/notify", 1), 0);
    assert_true(notify_send("READY=1") < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notify_without_socket_does_nothing),
        cmocka_unit_test(test_notify_path_socket),
        cmocka_unit_test(test_notify_abstract_socket),
        cmocka_unit_test(test_notify_bad_address),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
