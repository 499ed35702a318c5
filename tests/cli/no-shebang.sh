# No #! line: pgsup runs it with /bin/sh, as execvp() and shells do (status 3 says it ran).
exit 3
