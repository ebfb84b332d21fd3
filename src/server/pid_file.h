/* The pid files of intukad's long-running processes (the master and the
 * webhook deliverer), for init scripts and the deploy tools. */
#ifndef INTUKA_SERVER_PID_FILE_H
#define INTUKA_SERVER_PID_FILE_H

/* Writes this process's pid and a newline to path; 0, or -1 (errno set). */
int pid_file_write(const char *path);

#endif
