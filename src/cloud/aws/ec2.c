/* ec2.c — EC2's Query API (see ec2.h). */
#include "cloud/aws/ec2.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

#define EC2_VERSION "2016-11-15"

int aws_ec2_call(struct aws_client *c, const char *region, const char *action, struct aws_query *params,
		 bool cleanup, struct aws_response *resp, struct kiln_error *err)
{
	const char *r = region ? region : c->region;
	char *url = aws_service_url(&c->endpoints, "ec2", r);
	struct aws_endpoint ep;
	memset(resp, 0, sizeof *resp);
	if (aws_endpoint_parse(url, &ep, err) < 0) {
		free(url);
		return err_wrap(err, "the EC2 endpoint");
	}
	free(url);
	struct aws_query q = AWS_QUERY_INIT;
	aws_query_add(&q, "Action", action);
	aws_query_add(&q, "Version", EC2_VERSION);
	for (size_t i = 0; params && i < params->pairs.n; i++)
		strv_push(&q.pairs, params->pairs.v[i]);
	char *body = aws_query_string(&q);
	aws_query_free(&q);
	char *const headers[] = {(char *)"Content-Type: application/x-www-form-urlencoded; charset=utf-8", NULL};
	struct aws_request req = {
		.operation = action,
		.method = "POST",
		.service = "ec2",
		.region = r,
		.endpoint = &ep,
		.headers = headers,
		.body = body,
		.body_len = strlen(body),
		.cleanup = cleanup,
		.max_attempts = cleanup ? 4 : 0,
		.timeout_ms = 60000,
	};
	int rc = aws_send(c, &req, resp, err);
	free(body);
	aws_endpoint_free(&ep);
	return rc;
}

static char *text_or_empty(const struct aws_xml *x, const char *path)
{
	const char *t = aws_xml_text(x, path);
	return xstrdup(t ? t : "");
}

void aws_import_task_free(struct aws_import_task *t)
{
	if (!t)
		return;
	free(t->id);
	free(t->status);
	free(t->message);
	free(t->progress);
	free(t->image_id);
	free(t->snapshot_id);
	memset(t, 0, sizeof *t);
}

int aws_ec2_describe_import(struct aws_client *c, bool snapshot, const char *task_id, struct aws_import_task *out,
			    struct kiln_error *err)
{
	memset(out, 0, sizeof *out);
	struct aws_query q = AWS_QUERY_INIT;
	aws_query_add(&q, "ImportTaskId.1", task_id);
	struct aws_response resp;
	const char *action = snapshot ? "DescribeImportSnapshotTasks" : "DescribeImportImageTasks";
	int rc = aws_ec2_call(c, NULL, action, &q, false, &resp, err);
	aws_query_free(&q);
	if (rc < 0)
		goto out;
	const struct aws_xml *set = aws_xml_child(resp.xml, snapshot ? "importSnapshotTaskSet" : "importImageTaskSet");
	const struct aws_xml *item = NULL;
	for (size_t i = 0; set && i < set->nchildren && !item; i++) {
		const char *id = aws_xml_text(set->children[i], "importTaskId");
		if (id && strcmp(id, task_id) == 0)
			item = set->children[i];
	}
	if (!item) {
		rc = err_set(err, "%s: the answer does not list task %s", action, task_id);
		goto out;
	}
	const struct aws_xml *d = snapshot ? aws_xml_child(item, "snapshotTaskDetail") : item;
	out->id = xstrdup(task_id);
	out->status = text_or_empty(d, "status");
	out->message = text_or_empty(d, "statusMessage");
	out->progress = text_or_empty(d, "progress");
	if (snapshot) {
		out->snapshot_id = text_or_empty(d, "snapshotId");
	} else {
		out->image_id = text_or_empty(d, "imageId");
		out->snapshot_id = text_or_empty(d, "snapshotDetailSet/item/snapshotId");
	}
	if (!*out->status)
		rc = err_set(err, "%s: task %s has no status", action, task_id);
out:
	aws_response_free(&resp);
	if (rc < 0)
		aws_import_task_free(out);
	return rc;
}

int aws_ec2_cancel_import(struct aws_client *c, const char *task_id, const char *reason, struct kiln_error *err)
{
	struct aws_query q = AWS_QUERY_INIT;
	aws_query_add(&q, "ImportTaskId", task_id);
	if (reason)
		aws_query_add(&q, "CancelReason", reason);
	struct aws_response resp;
	int rc = aws_ec2_call(c, NULL, "CancelImportTask", &q, true, &resp, err);
	aws_query_free(&q);
	aws_response_free(&resp);
	return rc;
}

void aws_image_free(struct aws_image *i)
{
	if (!i)
		return;
	free(i->id);
	free(i->name);
	free(i->state);
	free(i->state_reason);
	strv_free(&i->snapshots);
	memset(i, 0, sizeof *i);
}

static int describe_image(struct aws_client *c, const char *region, const char *image_id, bool cleanup,
			  struct aws_image *out, struct kiln_error *err)
{
	memset(out, 0, sizeof *out);
	struct aws_query q = AWS_QUERY_INIT;
	aws_query_add(&q, "ImageId.1", image_id);
	struct aws_response resp;
	int rc = aws_ec2_call(c, region, "DescribeImages", &q, cleanup, &resp, err);
	aws_query_free(&q);
	if (rc < 0)
		goto out;
	const struct aws_xml *set = aws_xml_child(resp.xml, "imagesSet");
	const struct aws_xml *item = NULL;
	for (size_t i = 0; set && i < set->nchildren && !item; i++) {
		const char *id = aws_xml_text(set->children[i], "imageId");
		if (id && strcmp(id, image_id) == 0)
			item = set->children[i];
	}
	if (!item) {
		rc = err_set_kind(err, ERR_NOT_FOUND, "DescribeImages: no image %s", image_id);
		goto out;
	}
	out->id = xstrdup(image_id);
	out->name = text_or_empty(item, "name");
	out->state = text_or_empty(item, "imageState");
	out->state_reason = text_or_empty(item, "stateReason/message");
	const struct aws_xml *bdm = aws_xml_child(item, "blockDeviceMapping");
	for (size_t i = 0; bdm && i < bdm->nchildren; i++) {
		const char *s = aws_xml_text(bdm->children[i], "ebs/snapshotId");
		if (s && *s)
			strv_push(&out->snapshots, s);
	}
out:
	aws_response_free(&resp);
	if (rc < 0)
		aws_image_free(out);
	return rc;
}

int aws_ec2_describe_image(struct aws_client *c, const char *region, const char *image_id, struct aws_image *out,
			   struct kiln_error *err)
{
	return describe_image(c, region, image_id, false, out, err);
}

int aws_ec2_delete_snapshot(struct aws_client *c, const char *region, const char *snapshot_id, struct kiln_error *err)
{
	struct aws_query q = AWS_QUERY_INIT;
	aws_query_add(&q, "SnapshotId", snapshot_id);
	struct aws_response resp;
	int rc = aws_ec2_call(c, region, "DeleteSnapshot", &q, true, &resp, err);
	aws_query_free(&q);
	aws_response_free(&resp);
	return rc;
}

int aws_ec2_destroy_image(struct aws_client *c, const char *region, const char *image_id, struct kiln_error *err)
{
	struct aws_image img;
	if (describe_image(c, region, image_id, true, &img, err) < 0)
		return -1;
	struct aws_query q = AWS_QUERY_INIT;
	aws_query_add(&q, "ImageId", image_id);
	struct aws_response resp;
	int rc = aws_ec2_call(c, region, "DeregisterImage", &q, true, &resp, err);
	aws_query_free(&q);
	aws_response_free(&resp);
	for (size_t i = 0; rc == 0 && i < img.snapshots.n; i++)
		rc = aws_ec2_delete_snapshot(c, region, img.snapshots.v[i], err);
	aws_image_free(&img);
	return rc;
}
