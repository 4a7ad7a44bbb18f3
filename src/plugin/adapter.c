/* adapter.c — plugin components behind kiln's component interface (see adapter.h). */
#include "plugin/adapter.h"
#include "plugin/host.h"
#include "plugin/protocol.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "hcl/func.h"
#include "hcl/value.h"
#include "schema.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/mem.h"

const char *plugin_kind_name(enum plugin_kind kind)
{
	switch (kind) {
	case PLUGIN_BUILDER: return "builder";
	case PLUGIN_PROVISIONER: return "provisioner";
	case PLUGIN_POSTPROCESSOR: return "post-processor";
	case PLUGIN_DATASOURCE: return "data";
	}
	return "?";
}

enum plugin_kind plugin_kind_from_name(const char *name)
{
	for (enum plugin_kind k = PLUGIN_BUILDER; k <= PLUGIN_DATASOURCE; k++)
		if (strcmp(plugin_kind_name(k), name) == 0)
			return k;
	return 0;
}

/* Every plugin component alive, to find one from the configuration prepare gets: the configuration
 * was decoded against the component's own schema. */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct plugin_component **live;
static size_t nlive, caplive;

static const struct plugin_component *from_config(const struct kiln_config *cfg)
{
	const struct kiln_schema *s = kiln_config_schema(cfg);
	const struct plugin_component *pc = NULL;
	pthread_mutex_lock(&live_lock);
	for (size_t i = 0; i < nlive && !pc; i++)
		if (live[i]->schema == s)
			pc = live[i];
	pthread_mutex_unlock(&live_lock);
	return pc;
}

struct plugin_instance {
	const struct plugin_component *comp;
	struct plugin_conn *conn;
};

/* ------------------------------------------------------------------------------------------------
 * Starting and preparing */

/* Start the plugin, once more sure it is the file that was verified. */
static int start(const struct plugin_ref *ref, struct plugin_conn **conn, struct kiln_error *err)
{
	char *hex = NULL;
	if (hash_file_hex("sha256", ref->path, &hex, err) < 0)
		return -1;
	if (strcmp(hex, ref->sha256) != 0) {
		err_set(err, "the plugin %s changed after kiln checked it (its SHA-256 was %s and is now %s)", ref->path,
			ref->sha256, hex);
		err_hint(err, "something replaced the file during the build: run kiln init again");
		free(hex);
		return -1;
	}
	free(hex);
	return plugin_open(ref->path, ref->workdir, conn, err);
}

/* prepare: start the plugin, send the configuration, collect warnings. A located error when the
 * plugin says which attribute is wrong. */
static int prepare(const struct kiln_config *cfg, void **instance, struct strv *warnings, struct kiln_error *err)
{
	const struct plugin_component *pc = from_config(cfg);
	struct plugin_instance *in = xcalloc(1, sizeof *in);
	in->comp = pc;
	json_t *res = NULL;
	*instance = NULL;
	if (start(pc->plugin, &in->conn, err) < 0)
		goto fail;
	struct strv unknown_keys = STRV_INIT;
	char *text = kiln_config_json(cfg, &unknown_keys);
	json_t *config = json_loads(text, 0, NULL);
	json_t *unknown = json_array();
	for (size_t i = 0; i < unknown_keys.n; i++)
		json_array_append_new(unknown, json_string(unknown_keys.v[i]));
	strv_free(&unknown_keys);
	free(text);
	json_t *params = json_pack("{s:s, s:s, s:o, s:o}", "kind", plugin_kind_name(pc->kind), "name", pc->name, "config",
				   config ? config : json_object(), "unknown", unknown);
	struct plugin_services none = {0};
	long t = plugin_timeout_ms("KILN_PLUGIN_CALL_TIMEOUT", PLUGIN_CALL_TIMEOUT_MS);
	if (plugin_call(in->conn, &none, "prepare", params, t, &res, err) < 0) {
		const json_t *attr = json_object_get(in->conn->last_data, "attribute");
		if (in->conn->last_code == RPC_INVALID_CONFIG && json_is_string(attr) &&
		    kiln_config_has(cfg, json_string_value(attr))) {
			/* point at the attribute: the message without the plugin's label, which the location
			 * and the block already say */
			struct kiln_error located = ERR_INIT;
			kiln_config_error(cfg, json_string_value(attr), &located, "%s", err_cause(err));
			if (err->hint)
				err_hint(&located, "%s", err->hint);
			err_clear(err);
			err_move(err, &located);
		}
		goto fail;
	}
	const json_t *w = json_object_get(res, "warnings");
	for (size_t i = 0; json_is_array(w) && i < json_array_size(w); i++)
		if (json_is_string(json_array_get(w, i)))
			strv_push(warnings, json_string_value(json_array_get(w, i)));
	json_decref(res);
	*instance = in;
	return 0;
fail:
	json_decref(res);
	plugin_close(in->conn);
	free(in);
	return -1;
}

static void destroy(void *instance)
{
	struct plugin_instance *in = instance;
	if (!in)
		return;
	plugin_close(in->conn);
	free(in);
}

/* The build as the protocol describes it to a running component. */
static json_t *build_json(const struct kiln_ctx *ctx, struct kiln_comm *comm)
{
	bool has_comm = comm != NULL;
	json_t *values = json_object();
	for (size_t i = 0; i < ctx->build_data.n; i++) {
		const char *kv = ctx->build_data.v[i];
		const char *eq = strchr(kv, '=');
		if (!eq)
			continue;
		char *k = xstrndup(kv, (size_t)(eq - kv));
		json_object_set_new(values, k, rpc_string(eq + 1));
		free(k);
	}
	/* the key a tool connecting to the machine itself must find there (Ansible's known_hosts) */
	const char *hk = comm && comm->ops->host_key ? comm->ops->host_key(comm) : NULL;
	json_object_set_new(values, "SSHHostKey", rpc_string(hk ? hk : ""));
	json_t *b = json_pack("{s:s, s:s, s:s, s:o, s:b}", "name", ctx->build_name ? ctx->build_name : "", "type",
			      ctx->builder_type ? ctx->builder_type : "", "source", ctx->source_name ? ctx->source_name : "",
			      "values", values, "communicator", has_comm);
	json_object_set_new(b, "template_dir", rpc_string(ctx->template_dir ? ctx->template_dir : ""));
	json_object_set_new(b, "debug", json_boolean(ctx->debug));
	json_object_set_new(b, "force", json_boolean(ctx->force));
	return b;
}

/* ------------------------------------------------------------------------------------------------
 * Provisioners */

static int provision(void *instance, struct kiln_ctx *ctx, struct kiln_comm *comm, struct kiln_error *err)
{
	struct plugin_instance *in = instance;
	struct plugin_services svc = {.ui = ctx->ui, .ctx = ctx, .comm = comm};
	json_t *res = NULL;
	int rc = plugin_call(in->conn, &svc, "provision", json_pack("{s:o}", "build", build_json(ctx, comm)), 0,
			     &res, err);
	json_decref(res);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Post-processors */

json_t *plugin_artifact_to_json(const struct kiln_artifact *a)
{
	json_t *files = json_array();
	for (size_t i = 0; i < a->files.n; i++)
		json_array_append_new(files, rpc_string(a->files.v[i]));
	json_t *state = json_object();
	for (size_t i = 0; i < a->nstate; i++)
		json_object_set_new(state, a->state[i].key, rpc_string(a->state[i].value));
	json_t *j = json_pack("{s:o, s:o}", "files", files, "state", state);
	json_object_set_new(j, "builder_id", rpc_string(a->builder_id));
	json_object_set_new(j, "id", rpc_string(a->id));
	json_object_set_new(j, "description", rpc_string(a->description));
	return j;
}

static const char *member_str(const json_t *o, const char *key, const char *def)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : def;
}

int plugin_artifact_from_json(const json_t *j, const char *default_id, const char *base_dir,
			      struct kiln_artifact **out, struct kiln_error *err)
{
	*out = NULL;
	if (!json_is_object(j))
		return err_set(err, "the artifact must be an object");
	const json_t *files = json_object_get(j, "files");
	const json_t *state = json_object_get(j, "state");
	if (files && !json_is_array(files))
		return err_set(err, "the artifact's \"files\" must be an array of paths");
	if (state && !json_is_object(state))
		return err_set(err, "the artifact's \"state\" must be an object");
	struct kiln_artifact *a = kiln_artifact_new(member_str(j, "builder_id", default_id), member_str(j, "id", ""),
						     member_str(j, "description", ""));
	for (size_t i = 0; i < json_array_size(files); i++) {
		const json_t *f = json_array_get(files, i);
		if (!json_is_string(f) || !*json_string_value(f)) {
			kiln_artifact_free(a);
			return err_set(err, "the artifact's files[%zu] is not a path", i);
		}
		const char *p = json_string_value(f);
		char *abs = p[0] == '/' ? xstrdup(p) : path_join(base_dir, p);
		if (!file_exists(abs)) {
			err_set(err, "the artifact lists %s, which does not exist", abs);
			free(abs);
			kiln_artifact_free(a);
			return -1;
		}
		kiln_artifact_add_file(a, abs);
		free(abs);
	}
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)state, k, v) {
		if (json_is_string(v)) {
			kiln_artifact_set(a, k, json_string_value(v));
		} else {
			char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			kiln_artifact_set(a, k, text);
			free(text);
		}
	}
	*out = a;
	return 0;
}

static int post_process(void *instance, struct kiln_ctx *ctx, struct kiln_artifact *in_art, struct kiln_artifact **out,
			bool *keep_input, struct kiln_error *err)
{
	struct plugin_instance *in = instance;
	struct plugin_services svc = {.ui = ctx->ui, .ctx = ctx, .artifact = in_art};
	json_t *res = NULL;
	json_t *params = json_pack("{s:o, s:o}", "artifact", plugin_artifact_to_json(in_art), "build", build_json(ctx, NULL));
	*out = NULL;
	if (plugin_call(in->conn, &svc, "post_process", params, 0, &res, err) < 0)
		return -1;
	const json_t *keep = json_object_get(res, "keep_input");
	*keep_input = json_is_true(keep);
	const json_t *art = json_object_get(res, "artifact");
	int rc = 0;
	if (!art || json_is_null(art)) {
		*out = in_art; /* only added files beside it, or changed nothing */
	} else {
		char *def_id = xasprintf("kiln.plugin.%s", in->comp->type);
		rc = plugin_artifact_from_json(art, def_id, in->comp->plugin->workdir, out, err);
		free(def_id);
		if (rc < 0)
			err_wrap(err, "%s returned an artifact kiln cannot use", in->conn->label);
	}
	json_decref(res);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Data sources */

static int execute(const struct kiln_config *cfg, struct kiln_ctx *ctx, struct hcl_value **out, struct kiln_error *err)
{
	const struct plugin_component *pc = from_config(cfg);
	void *inst = NULL;
	struct strv warnings = STRV_INIT;
	json_t *res = NULL;
	int rc = -1;
	*out = NULL;
	if (prepare(cfg, &inst, &warnings, err) < 0)
		goto done;
	struct plugin_instance *in = inst;
	struct plugin_services svc = {.ui = ctx ? ctx->ui : NULL, .ctx = ctx};
	json_t *params = ctx ? json_pack("{s:o}", "build", build_json(ctx, NULL)) : json_object();
	long t = plugin_timeout_ms("KILN_PLUGIN_CALL_TIMEOUT", PLUGIN_CALL_TIMEOUT_MS);
	if (plugin_call(in->conn, &svc, "execute", params, t, &res, err) < 0)
		goto done;
	json_t *value = json_object_get(res, "value");
	if (!value) {
		err_set(err, "%s answered execute without a \"value\"", in->conn->label);
		goto done;
	}
	char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
	char *why = NULL;
	struct hcl_value *v = text ? hcl_json_decode(text, strlen(text), &why) : NULL;
	if (!v) {
		err_set(err, "%s returned a value kiln cannot read: %s", in->conn->label, why ? why : "not JSON");
		free(text);
		free(why);
		goto done;
	}
	free(text);
	if (pc->output_type) {
		struct hcl_type *ty = hcl_type_parse(pc->output_type, &why);
		struct hcl_convert_error cerr = {0};
		struct hcl_value *conv = ty ? hcl_convert(v, ty, &cerr) : NULL;
		if (ty && !conv) {
			err_set(err, "%s returned a value that is not of its declared type %s: %s%s%s", in->conn->label,
				pc->output_type, cerr.path && *cerr.path ? cerr.path : "", cerr.path && *cerr.path ? ": " : "",
				cerr.msg ? cerr.msg : "");
			hcl_convert_error_free(&cerr);
			hcl_type_unref(ty);
			hcl_value_unref(v);
			free(why);
			goto done;
		}
		if (conv) {
			hcl_value_unref(v);
			v = conv;
		}
		if (ty)
			hcl_type_unref(ty);
		free(why);
	}
	*out = v;
	rc = 0;
done:
	json_decref(res);
	strv_free(&warnings);
	destroy(inst);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Builders */

static int build(void *instance, struct kiln_ctx *ctx, struct kiln_artifact **artifact, struct kiln_error *err)
{
	struct plugin_instance *in = instance;
	struct plugin_services svc = {.ui = ctx->ui, .ctx = ctx};
	json_t *res = NULL;
	*artifact = NULL;
	if (plugin_call(in->conn, &svc, "build", json_pack("{s:o}", "build", build_json(ctx, NULL)), 0, &res, err) < 0)
		return -1;
	int rc = plugin_artifact_from_json(json_object_get(res, "artifact"), in->comp->builder_id,
					   in->comp->plugin->workdir, artifact, err);
	if (rc < 0)
		err_wrap(err, "%s returned an artifact kiln cannot use", in->conn->label);
	json_decref(res);
	return rc;
}

/* ------------------------------------------------------------------------------------------------ */

int plugin_component_new(enum plugin_kind kind, const char *name, const char *type, const json_t *desc,
			 const struct plugin_ref *plugin, struct plugin_component **out, struct kiln_error *err)
{
	*out = NULL;
	if (!json_is_object(desc))
		return err_set(err, "%s \"%s\": its description must be an object", plugin_kind_name(kind), name);
	const json_t *schema = json_object_get(desc, "schema");
	struct plugin_component *pc = xcalloc(1, sizeof *pc);
	json_t *empty = json_pack("{s:[]}", "attributes"); /* a component without settings */
	pc->schema = kiln_schema_from_json(schema ? schema : empty, err);
	json_decref(empty);
	if (!pc->schema) {
		err_wrap(err, "%s \"%s\": its schema", plugin_kind_name(kind), name);
		free(pc);
		return -1;
	}
	pc->kind = kind;
	pc->name = xstrdup(name);
	pc->type = xstrdup(type);
	pc->doc = xstrdup(member_str(desc, "description", ""));
	pc->plugin = plugin;
	const char *ot = member_str(desc, "output_type", NULL);
	if (kind == PLUGIN_DATASOURCE && ot) {
		char *why = NULL;
		struct hcl_type *ty = hcl_type_parse(ot, &why);
		if (!ty) {
			err_set(err, "data \"%s\": output_type \"%s\" is not an HCL type: %s", name, ot, why ? why : "");
			free(why);
			plugin_component_free(pc);
			return -1;
		}
		hcl_type_unref(ty);
		pc->output_type = xstrdup(ot);
	}
	pc->builder_id = xasprintf("%s", member_str(desc, "builder_id", ""));
	if (!*pc->builder_id) {
		free(pc->builder_id);
		pc->builder_id = xasprintf("kiln.plugin.%s", type);
	}
	switch (kind) {
	case PLUGIN_BUILDER:
		pc->c.builder = (struct kiln_builder){.type = pc->type, .builder_id = pc->builder_id,
						      .doc = pc->doc, .schema = pc->schema, .prepare = prepare, .run = build,
						      .destroy = destroy};
		break;
	case PLUGIN_PROVISIONER:
		pc->c.provisioner = (struct kiln_provisioner){.type = pc->type, .doc = pc->doc,
							      .schema = pc->schema, .prepare = prepare,
							      .provision = provision, .destroy = destroy};
		break;
	case PLUGIN_POSTPROCESSOR:
		pc->c.postprocessor = (struct kiln_postprocessor){.type = pc->type,
								  .doc = pc->doc, .schema = pc->schema, .prepare = prepare,
								  .run = post_process, .destroy = destroy};
		break;
	case PLUGIN_DATASOURCE:
		pc->c.datasource = (struct kiln_datasource){.type = pc->type, .doc = pc->doc,
							    .schema = pc->schema, .output_type = pc->output_type,
							    .execute = execute};
		break;
	}
	pthread_mutex_lock(&live_lock);
	live = xgrow(live, &caplive, nlive + 1, sizeof *live);
	live[nlive++] = pc;
	pthread_mutex_unlock(&live_lock);
	*out = pc;
	return 0;
}

void plugin_component_free(struct plugin_component *pc)
{
	if (!pc)
		return;
	pthread_mutex_lock(&live_lock);
	for (size_t i = 0; i < nlive; i++)
		if (live[i] == pc)
			live[i] = live[--nlive];
	if (nlive == 0) {
		free(live);
		live = NULL;
		caplive = 0;
	}
	pthread_mutex_unlock(&live_lock);
	kiln_schema_free(pc->schema);
	free(pc->name);
	free(pc->type);
	free(pc->doc);
	free(pc->output_type);
	free(pc->builder_id);
	free(pc);
}
