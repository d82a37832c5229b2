/**
 * The fields of a `/proc/<pid>/stat` text after the command name, which may hold spaces (so the
 * fields start after its last ")"). Index 0 is the state, 1 the parent's pid, 11 and 12 the user
 * and system time, 13 and 14 those of the children it has reaped, in clock ticks.
 */
export const statFields = (stat: string): string[] =>
  stat.slice(stat.lastIndexOf(')') + 2).split(' ');
