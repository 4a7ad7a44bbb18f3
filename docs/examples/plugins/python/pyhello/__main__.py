"""kiln-plugin-pyhello -- an example kiln plugin in Python: copy this directory to start your own.

It provides, under the name it is required as (`pyhello` below):
  provisioner "pyhello"     runs `inline` commands (their output streamed back to the plugin), uploads
                            the directory `dir` to `destination` and writes a note about the build
                            to the file `note` on the machine
  post-processor "pyhello"  writes the SHA-256 of every file of the artifact to `output` (sha256sum's
                            format); that file is the new artifact
  data "pyhello"            { upper = the `words` in capitals, count = how many }

    packer {
      required_plugins {
        pyhello = { source = "github.com/kiln-examples/pyhello", version = "~> 1.0" }
      }
    }
    data "pyhello" "w" { words = ["a", "b"] }
    build {
      sources = ["source.null.box"]
      provisioner "pyhello" {
        inline      = ["echo ${join(" ", data.pyhello.w.upper)}"]
        dir         = "files/"
        destination = "/tmp/files"
        note        = "/tmp/pyhello-note.txt"
      }
      post-processors {
        post-processor "artifice" { files = ["disk.img"] }
        post-processor "pyhello" { output = "SHA256SUMS" }
      }
    }

Build: see the Makefile beside this directory (python3 -m zipapp makes one executable file).
"""
import hashlib
import os

import kiln_plugin as kp

VERSION = "1.0.0"


class Provisioner(kp.Provisioner):
    description = "Runs commands, uploads a directory and writes a note (an example)."
    schema = {"attributes": [
        {"name": "inline", "type": "list(string)", "description": "Shell commands to run, in order."},
        {"name": "dir", "type": "string", "description": "A local directory to upload (\"dir/\": its contents)."},
        {"name": "destination", "type": "string", "default": "/tmp", "description": "Where dir goes."},
        {"name": "note", "type": "string", "description": "A file on the machine to write a note about the build to."},
    ]}

    def prepare(self, ctx):
        d = ctx.config.get("dir")
        if d is not None and not os.path.isdir(d):
            raise kp.ConfigError("dir", "%s is not a directory" % d)

    def provision(self, ctx):
        for cmd in ctx.config.get("inline", []):
            lines = []
            status = ctx.exec(cmd, on_line=lambda is_stderr, line: lines.append(line))
            for line in lines:
                ctx.message("pyhello: " + line)
            if status != 0:
                raise kp.Error("%r exited with status %d" % (cmd, status),
                               hint="run the command by hand on the machine to see why")
            if ctx.cancelled:
                raise kp.Cancelled()
        if "dir" in ctx.config:
            dest = ctx.config.get("destination", "/tmp")
            ctx.say("uploading %s to %s" % (ctx.config["dir"], dest))
            ctx.upload_dir(ctx.config["dir"], dest)
        if "note" in ctx.config:
            note = "built by %s on %s\n" % (ctx.build_name, ctx.build_value("Host") or "?")
            ctx.upload_data(note, ctx.config["note"], 0o644)


class PostProcessor(kp.PostProcessor):
    description = "Writes the SHA-256 of the artifact's files (an example)."
    schema = {"attributes": [
        {"name": "output", "type": "string", "required": True, "description": "The checksum file to write."},
    ]}

    def post_process(self, ctx, artifact):
        out = ctx.config["output"]
        lines = []
        for i, path in enumerate(artifact.files):
            h = hashlib.sha256()
            with ctx.artifact_open(i) as f:   # a descriptor from kiln: no need to read the path
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
                    if ctx.cancelled:
                        raise kp.Cancelled()
            lines.append("%s  %s\n" % (h.hexdigest(), os.path.basename(path)))
            ctx.message("%s: sha256 %s" % (path, h.hexdigest()))
        with open(out, "w") as f:
            f.writelines(lines)
        new = kp.Artifact("kiln-examples.pyhello", out, "Checksums of %d file(s): %s" % (len(lines), out),
                          files=[out], state={"algorithm": "sha256"})
        return new, True


class DataSource(kp.DataSource):
    description = "Words in capitals (an example)."
    schema = {"attributes": [
        {"name": "words", "type": "list(string)", "required": True, "description": "The words."},
    ]}
    output_type = "object({upper=list(string), count=number})"

    def execute(self, ctx):
        words = ctx.config["words"]
        for i, w in enumerate(words):
            if not w:
                raise kp.Error("word %d is empty" % (i + 1), hint="give every word a letter at least")
        return {"upper": [w.upper() for w in words], "count": len(words)}


if __name__ == "__main__":
    kp.serve("pyhello", VERSION, provisioners={"": Provisioner}, post_processors={"": PostProcessor},
             data_sources={"": DataSource})
