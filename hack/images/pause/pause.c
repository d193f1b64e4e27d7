/*
 * Pod sandbox process for the local cluster's containerd: holds the pod's namespaces open,
 * exits cleanly on SIGINT/SIGTERM, and reaps children that get re-parented to it (it is PID 1
 * of the pod when the PID namespace is shared).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void exit_on_signal(int signo) {
  /* 128 + signo is what a shell would report, but the kubelet treats the sandbox as ended either
   * way; exit 0 keeps "Completed" rather than "Error" in runtime status. */
  (void)signo;
  _exit(0);
}

static void reap_children(int signo) {
  (void)signo;
  int saved_errno = errno;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = saved_errno;
}

static void install(int signo, void (*handler)(int)) {
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART | (signo == SIGCHLD ? SA_NOCLDSTOP : 0);
  if (sigaction(signo, &action, NULL) < 0) {
    perror("sigaction");
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    puts("model-canary pause 3.10");
    return 0;
  }
  if (getpid() != 1) {
    fprintf(stderr, "warning: pause should be the first process in its PID namespace\n");
  }
  install(SIGINT, exit_on_signal);
  install(SIGTERM, exit_on_signal);
  install(SIGCHLD, reap_children);
  for (;;) {
    pause();
  }
}
