/*
 * commands.c - the command table: adding a command is adding a row
 * (git's commands[]).
 */
#include "cli/cli.h"
#include "cli/commands.h"

#include "base/banned.h"

const struct cli_cmd cli_commands[] = {
	{"help", "show the commands, or one command's usage", "help [COMMAND]", cmd_help},
	{"version", "print the version", "version", cmd_version},
	{"serve", "run the web server, the API and the background jobs",
	 "serve [--data DIR] [--listen HOST:PORT] [--threads N] [--quiet]", cmd_serve},
	{"init", "create a data directory and its admin account", "init [--data DIR] [--admin NAME] [--json]", cmd_init},
	{"user", "add, list users or change a password",
	 "user add NAME [--admin] [--password-stdin] | user list [--json] | user passwd NAME [--password-stdin]  [--data DIR]", cmd_user},
	{"project", "create, list or show projects",
	 "project create NAME --schema FILE [--description TEXT] | project list [--json] | project show NAME [--json]  [--data DIR]", cmd_project},
	{"ingest", "add media files, folders or zip archives to a project as items",
	 "ingest --project NAME [--link] [--json] [--near-threshold N] PATH...  [--data DIR]", cmd_ingest},
	{"stats", "show a project's counts", "stats --project NAME [--json] [--data DIR]", cmd_stats},
	{"synth", "render synthetic images with exact COCO ground truth",
	 "synth OUT --images N [--objects K] [--seed S] [--size WxH] [--format jpeg|png] [--quality Q] [--threads T] [--force] [--json]", cmd_synth},
	{"import", "import a dataset (COCO ...) into a project: items, labels, annotations",
	 "import --project NAME [--format auto|FORMAT (see cairn formats)] [--media DIR] [--no-media] [--skip-invalid] [--as manual|gold|prediction] [--user NAME] [--report FILE] [--json] PATH  [--data DIR]", cmd_import},
	{"export", "write a project as a dataset (COCO ...) with a loss report",
	 "export --project NAME --format coco [--split train=70,val=15,test=15] [--seed N] [--segm keep|polygon|rle] [--from manual|gold|prediction|consensus] [--include-media] [--json] OUT  [--data DIR]", cmd_export},
	{"convert", "convert a dataset between formats through a temporary store",
	 "convert [--from auto|FORMAT] --to FORMAT [--media DIR] [--segm keep|polygon|rle] [--split ...] [--skip-invalid] [--json] IN OUT", cmd_convert},
	{"formats", "list the dataset formats and what each can carry", "formats [--json]", cmd_formats},
	{"batch", "cut a project's items into batches, list, assign people, sign off",
	 "batch create --project NAME --name NAME [--size N] [--limit N] [--status S] [--order id|random] [--seed S] [--overlap K] [--calibration] [--review-sample F] [--gold-first N] [--gold-rate F] [--reserve-s S] [--annotators a,b] [--reviewers r] | batch list --project NAME | batch assign ID --annotators a,b [--reviewers r] [--remove] | batch signoff ID  [--json] [--data DIR]", cmd_batch},
	{"review", "the next sampled annotation to review, or accept / reject one, as a reviewer",
	 "review --project NAME --as USER [--next] | review --project NAME --as USER --item ID (--accept | --reject --comment TEXT [--reason TAG]) [--annotation ID]  [--json] [--data DIR]", cmd_review},
	{"agree", "inter-annotator agreement of a CSV of ratings or of a project's tags or objects",
	 "agree (FILE.csv | --project NAME [--label-kind tag] [--window SECONDS]) --metric percent|kappa|weighted-kappa|fleiss|alpha|gwet [--level nominal|ordinal|interval|ratio] [--weights linear|quadratic] [--bootstrap N] [--seed S] | agree --project NAME --spatial [--iou-floor X] [--window SECONDS]  [--data DIR]", cmd_agree},
	{"consensus", "write a consensus annotation per item from its annotators' tags, boxes, masks and keypoints",
	 "consensus --project NAME [--method majority|dawid-skene] [--min-agreement X] [--min-annotators N] [--user NAME] [--dry-run] [--json]  [--data DIR]", cmd_consensus},
	{"eval", "COCO AP/AR of detections against ground truth, as pycocotools computes them",
	 "eval --gt GT.json --dt DT.json [--iou-type bbox|segm|keypoints] [--max-dets 1,10,100] [--per-class] [--json]", cmd_eval},
	{"check", "run the automated quality checks on a project's annotations",
	 "check --project NAME [--rule R[,R...]] [--min-size PX] [--dup-iou X] [--z-max Z] [--p-max P] [--near-threshold N] [--match-iou X] [--bias-ratio R] [--bias-min N] [--window-hours H] [--drift-drop X] [--predictions] [--list-rules] [--json]  [--data DIR]", cmd_check},
	{0, 0, 0, 0},
};
