/* carm sim phantom --liver and carm sim sweep: the digital twin's CLI
 * (src/cli/sim_twin.c), called from the `carm sim` table in cmd_sim.c.
 * argv[0] is the subcommand's name; exit codes as for commands. */
#ifndef CARM_CLI_SIM_TWIN_H
#define CARM_CLI_SIM_TWIN_H

/** Whether argv holds --liver (the twin rather than an analytic phantom). */
int sim_twin_wanted(int argc, char **argv);

/** carm sim phantom --liver ... */
int sim_twin_phantom(int argc, char **argv);
extern const char sim_twin_phantom_usage[];

/** carm sim sweep --liver ... */
int sim_sweep(int argc, char **argv);
extern const char sim_sweep_usage[];
extern const char sim_sweep_summary[];

#endif
