/* lazy_yaml.h — libyaml (HCL's yamlencode and yamldecode) for kiln's core, bound on first use (util/lazylib.h).
 * Core files include this instead of the library's header; each function they call is listed
 * here (one missing is an undefined reference in kiln's link, which does not name the library). */
#ifndef KILN_UTIL_LAZY_YAML_H
#define KILN_UTIL_LAZY_YAML_H

#include <yaml.h>

#include "util/lazylib.h"

extern struct lazylib lazylib_yaml;

#define yaml_document_end_event_initialize LAZYLIB_FN(yaml, yaml_document_end_event_initialize)
#define yaml_document_start_event_initialize LAZYLIB_FN(yaml, yaml_document_start_event_initialize)
#define yaml_emitter_delete LAZYLIB_FN(yaml, yaml_emitter_delete)
#define yaml_emitter_emit LAZYLIB_FN(yaml, yaml_emitter_emit)
#define yaml_emitter_flush LAZYLIB_FN(yaml, yaml_emitter_flush)
#define yaml_emitter_initialize LAZYLIB_FN(yaml, yaml_emitter_initialize)
#define yaml_emitter_set_output LAZYLIB_FN(yaml, yaml_emitter_set_output)
#define yaml_emitter_set_unicode LAZYLIB_FN(yaml, yaml_emitter_set_unicode)
#define yaml_emitter_set_width LAZYLIB_FN(yaml, yaml_emitter_set_width)
#define yaml_event_delete LAZYLIB_FN(yaml, yaml_event_delete)
#define yaml_mapping_end_event_initialize LAZYLIB_FN(yaml, yaml_mapping_end_event_initialize)
#define yaml_mapping_start_event_initialize LAZYLIB_FN(yaml, yaml_mapping_start_event_initialize)
#define yaml_parser_delete LAZYLIB_FN(yaml, yaml_parser_delete)
#define yaml_parser_initialize LAZYLIB_FN(yaml, yaml_parser_initialize)
#define yaml_parser_parse LAZYLIB_FN(yaml, yaml_parser_parse)
#define yaml_parser_set_input_string LAZYLIB_FN(yaml, yaml_parser_set_input_string)
#define yaml_scalar_event_initialize LAZYLIB_FN(yaml, yaml_scalar_event_initialize)
#define yaml_sequence_end_event_initialize LAZYLIB_FN(yaml, yaml_sequence_end_event_initialize)
#define yaml_sequence_start_event_initialize LAZYLIB_FN(yaml, yaml_sequence_start_event_initialize)
#define yaml_stream_end_event_initialize LAZYLIB_FN(yaml, yaml_stream_end_event_initialize)
#define yaml_stream_start_event_initialize LAZYLIB_FN(yaml, yaml_stream_start_event_initialize)

#endif
