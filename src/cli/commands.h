/*
 * commands.h - one entry point per command, one file each (cmd_*.c).
 * Each takes argv with argv[0] = the command name and returns an exit code.
 */
#ifndef CAIRN_COMMANDS_H
#define CAIRN_COMMANDS_H

int cmd_help(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_project(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_formats(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_review(int argc, char **argv);
/* Agreement and consensus (cmd_agree.c). */
int cmd_agree(int argc, char **argv);
int cmd_consensus(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_check(int argc, char **argv);

#endif
