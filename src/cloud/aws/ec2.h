/* ec2.h — EC2's Query API (Action=...&Version=2016-11-15, POSTed as a form, answered in XML): one
 * generic call, and the few answers the import reads field by field (import tasks, images). */
#ifndef KILN_CLOUD_AWS_EC2_H
#define KILN_CLOUD_AWS_EC2_H

#include <stdbool.h>

#include "cloud/aws/http.h"
#include "cloud/aws/uri.h"
#include "util/error.h"
#include "util/strv.h"

/* Call `action` in `region` (NULL: the client's) with params (Action and Version are added). cleanup:
 * the call runs even after Ctrl-C (cancelling a task, deregistering). On failure resp->code holds AWS's
 * error code. */
int aws_ec2_call(struct aws_client *c, const char *region, const char *action, struct aws_query *params,
		 bool cleanup, struct aws_response *resp, struct kiln_error *err);

/* An import task, from DescribeImportImageTasks or DescribeImportSnapshotTasks. */
struct aws_import_task {
	char *id;
	char *status;        /* "active", "completed", "deleting", "deleted" */
	char *message;       /* AWS's StatusMessage ("converting", "ClientError: ..."), "" when none */
	char *progress;      /* "28", "" when none */
	char *image_id;      /* image path, once completed */
	char *snapshot_id;   /* snapshot path (and the image path's snapshot), once completed */
};
void aws_import_task_free(struct aws_import_task *t);
int aws_ec2_describe_import(struct aws_client *c, bool snapshot, const char *task_id, struct aws_import_task *out,
			    struct kiln_error *err);
/* CancelImportTask (cleanup: runs after Ctrl-C). */
int aws_ec2_cancel_import(struct aws_client *c, const char *task_id, const char *reason, struct kiln_error *err);

struct aws_image {
	char *id;
	char *name;
	char *state;          /* "pending", "available", "failed", ... */
	char *state_reason;   /* StateReason/Message, "" when none */
	struct strv snapshots;/* the snapshots of its block device mappings */
};
void aws_image_free(struct aws_image *i);
int aws_ec2_describe_image(struct aws_client *c, const char *region, const char *image_id, struct aws_image *out,
			   struct kiln_error *err);
/* Packer's DestroyAMIs: deregister the image, then delete its snapshots (cleanup: runs after Ctrl-C). */
int aws_ec2_destroy_image(struct aws_client *c, const char *region, const char *image_id, struct kiln_error *err);
int aws_ec2_delete_snapshot(struct aws_client *c, const char *region, const char *snapshot_id, struct kiln_error *err);

#endif
