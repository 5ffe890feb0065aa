"""The exit codes calmflow ends with, the same for the command line and the screens.

0 all well; 1 bad input (a routine, a media file, a value); 2 wrong usage
(click's own); 3 the database or the data folder cannot be used; 4 no sound
outputs can be listed;
70 an unexpected error (details in the log folder, never a traceback); 130
stopped with ctrl-c; 128 + N ended by signal N (SIGHUP, SIGTERM).
"""

from __future__ import annotations

EXIT_INPUT = 1
EXIT_STORE = 3
EXIT_NO_SOUND = 4
EXIT_INTERNAL = 70
EXIT_STOPPED = 130
