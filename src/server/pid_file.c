/* Writing a pid file. */
#include "server/pid_file.h"

#include <stdio.h>
#include <unistd.h>

int pid_file_write(const char *path)
{
	FILE *file = fopen(path, "w");
	if (file == NULL)
		return -1;
	int failed = fprintf(file, "%ld\n", (long)getpid()) < 0;
	failed |= fclose(file) != 0;
	return failed ? -1 : 0;
}
