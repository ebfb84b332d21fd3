#!/usr/bin/env python3
"""Builds what intukad serves about itself from docs/openapi.yaml: the
description as YAML (the file as it is), as JSON, and a self-contained HTML
reference (every route with its authentication, permission, parameters, an
example request and an example answer; no script, font or style from
anywhere else). Writes them as one C file of byte arrays, each with a strong
ETag, so intukad needs no file at run time.

Run by make (Makefile.am) with Debian's python3 and python3-yaml:
    openapi_docs.py --version VERSION docs/openapi.yaml OUT.c
It refuses a description whose info.version is not VERSION (the package's):
what is served describes the running version.
"""

import argparse
import hashlib
import html
import json
import os
import re
import sys

import yaml

METHODS = ("get", "put", "post", "delete", "patch")
REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 304: "Not Modified"}
MAX_EXAMPLE_DEPTH = 6


class Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2's core schema where PyYAML follows YAML 1.1: only true and
    false are booleans (not yes, no, on, off) and dates stay strings, so the
    JSON says what OpenAPI 3.1 tools read in the YAML."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


def fail(message):
    sys.stderr.write("openapi_docs.py: %s\n" % message)
    sys.exit(1)


def json_ready(value, where="$"):
    """The document with string keys only, or a failure naming the place."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                fail("%s: key %r is not a string" % (where, key))
            out[str(key)] = json_ready(item, "%s.%s" % (where, key))
        return out
    if isinstance(value, list):
        return [json_ready(item, "%s[%d]" % (where, i)) for i, item in enumerate(value)]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    fail("%s: %r has no JSON form" % (where, value))
    return None


class Description:
    def __init__(self, document):
        self.document = document
        self.components = document.get("components", {})

    def resolve(self, node):
        """Follows local $refs (#/components/...)."""
        seen = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen or not ref.startswith("#/"):
                fail("cannot follow $ref %s" % ref)
            seen.add(ref)
            target = self.document
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    fail("dangling $ref %s" % ref)
                target = target[part]
            node = target
        return node

    def merged(self, schema, depth=0):
        """A schema with allOf folded into one object schema."""
        schema = self.resolve(schema)
        if not isinstance(schema, dict) or "allOf" not in schema or depth > MAX_EXAMPLE_DEPTH:
            return schema
        out = {k: v for k, v in schema.items() if k != "allOf"}
        properties = dict(out.get("properties", {}))
        required = list(out.get("required", []))
        for part in schema["allOf"]:
            part = self.merged(part, depth + 1)
            if not isinstance(part, dict):
                continue
            for key, value in part.items():
                if key == "properties":
                    properties.update(value)
                elif key == "required":
                    required.extend(value)
                elif key not in out:
                    out[key] = value
        if properties:
            out["properties"] = properties
        if required:
            out["required"] = required
        return out

    def example(self, schema, name="", depth=0, required_only=False):
        """A value that fits the schema: its own example when it has one,
        else one made from its type, format and bounds."""
        schema = self.merged(schema)
        if not isinstance(schema, dict):
            return None
        if "example" in schema:
            return schema["example"]
        if isinstance(schema.get("examples"), list) and schema["examples"]:
            return schema["examples"][0]
        if "const" in schema:
            return schema["const"]
        if "default" in schema:
            return schema["default"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][0]
        for key in ("oneOf", "anyOf"):
            if isinstance(schema.get(key), list):
                for option in schema[key]:
                    option = self.merged(option)
                    if isinstance(option, dict) and option.get("type") != "null":
                        return self.example(option, name, depth + 1, required_only)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema else ("array" if "items" in schema else "string")
        if kind == "object":
            if depth >= MAX_EXAMPLE_DEPTH:
                return {}
            out = {}
            # An answer shows what is always there; a request every field it takes.
            required = schema.get("required") if required_only else None
            for prop, prop_schema in schema.get("properties", {}).items():
                if required and prop not in required:
                    continue
                out[prop] = self.example(prop_schema, prop, depth + 1, required_only)
            extra = schema.get("additionalProperties")
            if not out and isinstance(extra, dict):
                out["key"] = self.example(extra, "key", depth + 1, required_only)
            return out
        if kind == "array":
            if depth >= MAX_EXAMPLE_DEPTH:
                return []
            return [self.example(schema.get("items", {}), name, depth + 1, required_only)]
        if kind == "integer":
            low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1 if "exclusiveMinimum" in schema else 1)
            return max(int(low), 1) if name.lower().endswith("id") else int(low)
        if kind == "number":
            return float(schema.get("minimum", 1.5))
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self.example_string(schema, name)

    @staticmethod
    def example_string(schema, name):
        fmt = schema.get("format", "")
        by_format = {
            "date-time": "2026-12-01T09:30:00Z",
            "date": "2026-12-01",
            "email": "ada@example.com",
            "uri": "https://example.com/",
            "url": "https://example.com/",
            "uuid": "3f2b8c1e-5a7d-4e0b-9c61-2d4f8a9b7c10",
            "password": "correct horse battery staple",
        }
        if fmt in by_format:
            return by_format[fmt]
        lowered = name.lower()
        if "email" in lowered:
            return "ada@example.com"
        if lowered.endswith("url"):
            return "https://example.com/"
        text = "string"
        minimum = schema.get("minLength")
        if isinstance(minimum, int) and minimum > len(text):
            text = text + "x" * (minimum - len(text))
        return text


def markdown_inline(text):
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    return out


def markdown_blocks(text):
    """The little Markdown the descriptions use: paragraphs, "- " lists,
    inline code and bold."""
    if not text:
        return ""
    parts = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.split("\n")
        if all(line.lstrip().startswith("- ") or line.startswith("  ") for line in lines) and \
                lines[0].lstrip().startswith("- "):
            items, current = [], []
            for line in lines:
                if line.lstrip().startswith("- "):
                    if current:
                        items.append(" ".join(current))
                    current = [line.lstrip()[2:]]
                else:
                    current.append(line.strip())
            items.append(" ".join(current))
            parts.append("<ul>" + "".join("<li>%s</li>" % markdown_inline(i) for i in items) + "</ul>")
        else:
            parts.append("<p>%s</p>" % markdown_inline(" ".join(line.strip() for line in lines)))
    return "\n".join(parts)


def schema_summary(desc, schema):
    schema = desc.merged(schema)
    if not isinstance(schema, dict):
        return ""
    kind = schema.get("type", "")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if not kind:
        kind = "object" if "properties" in schema else ("one of" if "oneOf" in schema else "any")
    bits = [kind]
    if kind == "array" and isinstance(schema.get("items"), dict):
        items = desc.merged(schema["items"])
        bits = ["array of %s" % (items.get("type", "object") if isinstance(items, dict) else "values")]
    if "format" in schema:
        bits.append(schema["format"])
    if isinstance(schema.get("enum"), list):
        bits.append("one of " + ", ".join(json.dumps(v) for v in schema["enum"]))
    for key, label in (("minimum", "≥"), ("maximum", "≤"), ("minLength", "length ≥"), ("maxLength", "length ≤"),
                       ("maxItems", "items ≤"), ("default", "default")):
        if key in schema:
            bits.append("%s %s" % (label, json.dumps(schema[key], ensure_ascii=False)))
    return ", ".join(bits)


def security_text(desc, security):
    if not security:
        return "none (public)"
    names = []
    schemes = desc.components.get("securitySchemes", {})
    labels = {"bearerAuth": "access token (JWT)", "secretKey": "secret API key",
              "publishableKey": "publishable API key", "operatorKey": "operator key"}
    for requirement in security:
        for name in requirement:
            if name in schemes:
                names.append(labels.get(name, name))
    return ", or ".join(names) if names else "none (public)"


def authorization_header(security):
    if not security:
        return None
    first = next(iter(security[0]), "")
    return {
        "bearerAuth": "Authorization: Bearer <access token>",
        "secretKey": "Authorization: Bearer if_sk_<secret key>",
        "publishableKey": "Authorization: Bearer if_pk_<publishable key>",
        "operatorKey": "Authorization: Bearer <operator key>",
    }.get(first, "Authorization: Bearer <credential>")


def operation_parameters(desc, path_item, operation):
    params = {}
    for source in (path_item.get("parameters", []), operation.get("parameters", [])):
        for param in source:
            param = desc.resolve(param)
            params[(param.get("name"), param.get("in"))] = param
    return list(params.values())


def json_text(value):
    return json.dumps(value, indent=2, ensure_ascii=False)


def example_request(desc, base_path, path, method, operation, params):
    def param_example(param):
        if "example" in param:
            return param["example"]
        return desc.example(param.get("schema", {}), param.get("name", ""))

    def text(value):
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            return json.dumps(value, separators=(",", ":"))
        return str(value)

    concrete = path
    for param in params:
        if param.get("in") == "path":
            concrete = concrete.replace("{%s}" % param["name"], text(param_example(param)))
    query = ["%s=%s" % (p["name"], text(param_example(p))) for p in params
             if p.get("in") == "query" and p.get("required")]
    line = "%s %s%s%s HTTP/1.1" % (method.upper(), base_path, concrete, ("?" + "&".join(query)) if query else "")
    lines = [line, "Host: demo.example.com"]
    authorization = authorization_header(operation.get("security"))
    if authorization:
        lines.append(authorization)
    for param in params:
        if param.get("in") == "header" and param.get("required"):
            lines.append("%s: %s" % (param["name"], text(param_example(param))))
    body = operation.get("requestBody")
    if body:
        body = desc.resolve(body)
        content = body.get("content", {})
        media = "application/json" if "application/json" in content else next(iter(content), None)
        if media:
            lines.append("Content-Type: %s" % media)
            entry = content[media]
            value = entry.get("example")
            if value is None and isinstance(entry.get("examples"), dict) and entry["examples"]:
                value = desc.resolve(next(iter(entry["examples"].values()))).get("value")
            if value is None:
                value = desc.example(entry.get("schema", {}))
            return "\n".join(lines) + "\n\n" + (json_text(value) if not isinstance(value, str) else value)
    return "\n".join(lines)


def example_answer(desc, operation):
    responses = operation.get("responses", {})
    codes = sorted(str(code) for code in responses)
    success = next((code for code in codes if code.startswith("2")), codes[0] if codes else None)
    if success is None:
        return ""
    response = desc.resolve(responses[success])
    status = int(success) if success.isdigit() else 200
    lines = ["HTTP/1.1 %d %s" % (status, REASONS.get(status, ""))]
    content = response.get("content", {})
    if not content:
        return lines[0].rstrip()
    media = "application/json" if "application/json" in content else next(iter(content))
    lines.append("Content-Type: %s" % media)
    entry = content[media]
    value = entry.get("example")
    if value is None and isinstance(entry.get("examples"), dict) and entry["examples"]:
        value = desc.resolve(next(iter(entry["examples"].values()))).get("value")
    if value is None:
        value = desc.example(entry.get("schema", {}), required_only=True)
    body = value if isinstance(value, str) else json_text(value)
    return "\n".join(lines) + "\n\n" + body


def slug(text):
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")


STYLE = """
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#fff}
header{padding:1.2em 2em;background:#1d2330;color:#fff}header h1{margin:0;font-size:1.5em}
header p{margin:.2em 0 0;color:#c9d1e0}header a{color:#fff}header code{background:#2e3648;color:#fff}
.layout{display:flex;align-items:flex-start}
nav{position:sticky;top:0;max-height:100vh;overflow:auto;width:22em;flex:none;padding:1em;border-right:1px solid #e3e6ec;
font-size:13px;box-sizing:border-box}
nav h2{font-size:1em;margin:1em 0 .3em;text-transform:uppercase;color:#5a6478}nav ul{list-style:none;margin:0;padding:0}
nav a{color:#1d2330;text-decoration:none;display:block;padding:1px 0}nav a:hover{text-decoration:underline}
main{flex:1;min-width:0;padding:1em 2em 4em}
section.tag>h2{border-bottom:2px solid #1d2330;padding-bottom:.2em;margin-top:2em}
section.operation{border:1px solid #e3e6ec;border-radius:6px;padding:.4em 1.2em 1em;margin:1.2em 0}
section.operation h3{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:1.05em;word-break:break-all}
.method{display:inline-block;min-width:4.2em;text-align:center;border-radius:3px;color:#fff;font-weight:bold;
font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.85em;padding:0 .3em;margin-right:.4em}
.get{background:#2f7d32}.post{background:#1f5fa8}.put{background:#8a5a00}.patch{background:#6b3fa0}
.delete{background:#b3261e}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}dl.facts dt{font-weight:bold}dl.facts dd{margin:0}
table{border-collapse:collapse;width:100%;margin:.4em 0;font-size:14px}
th,td{border:1px solid #e3e6ec;padding:.25em .5em;text-align:left;vertical-align:top}th{background:#f5f6f9}
code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.92em;background:#f5f6f9;padding:0 .2em;
border-radius:3px}
pre{background:#f5f6f9;border:1px solid #e3e6ec;border-radius:4px;padding:.6em .8em;overflow:auto;font-size:13px}
pre code{background:none;padding:0}
h4{margin:1em 0 .2em}
@media (max-width:900px){.layout{display:block}nav{position:static;width:auto;max-height:none;border:0}}
"""


def render_html(desc, version):
    document = desc.document
    info = document.get("info", {})
    servers = document.get("servers", [])
    base_path = "/api/v1"
    if servers:
        match = re.match(r"^(?:[a-z]+://[^/]+)?(/.*)$", servers[0].get("url", ""))
        if match:
            base_path = match.group(1).rstrip("/")
    tags = [t["name"] for t in document.get("tags", [])]
    tag_text = {t["name"]: t.get("description", "") for t in document.get("tags", [])}
    by_tag = {}
    count = 0
    for path, path_item in document.get("paths", {}).items():
        for method in METHODS:
            if method not in path_item:
                continue
            operation = path_item[method]
            tag = (operation.get("tags") or ["other"])[0]
            if tag not in tags:
                tags.append(tag)
            by_tag.setdefault(tag, []).append((path, method, path_item, operation))
            count += 1

    title = "%s %s" % (info.get("title", "API"), version)
    out = ['<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>%s reference</title>" % html.escape(title), "<style>%s</style>" % STYLE, "</head>\n<body>",
           "<header><h1>%s reference</h1><p>%d operations under <code>%s</code>; generated from "
           "docs/openapi.yaml (also served as <a href=\"%s/openapi.yaml\">openapi.yaml</a> "
           "and <a href=\"%s/openapi.json\">openapi.json</a>).</p></header>"
           % (html.escape(title), count, html.escape(base_path), base_path, base_path),
           '<div class="layout">\n<nav aria-label="Operations">']
    for tag in tags:
        if tag not in by_tag:
            continue
        out.append('<h2><a href="#tag-%s">%s</a></h2><ul>' % (slug(tag), html.escape(tag)))
        for path, method, _, operation in by_tag[tag]:
            out.append('<li><a href="#op-%s"><span class="method %s">%s</span>%s</a></li>'
                       % (slug(operation["operationId"]), method, method.upper(), html.escape(path)))
        out.append("</ul>")
    out.append("</nav>\n<main>")
    out.append('<section class="intro"><h2>About this API</h2>%s</section>' % markdown_blocks(info.get("description", "")))
    for tag in tags:
        if tag not in by_tag:
            continue
        out.append('<section class="tag" id="tag-%s"><h2>%s</h2>%s' % (slug(tag), html.escape(tag),
                                                                     markdown_blocks(tag_text.get(tag, ""))))
        for path, method, path_item, operation in by_tag[tag]:
            out.append(render_operation(desc, base_path, path, method, path_item, operation))
        out.append("</section>")
    out.append("</main>\n</div>\n</body>\n</html>\n")
    return "\n".join(out), count


def render_operation(desc, base_path, path, method, path_item, operation):
    params = operation_parameters(desc, path_item, operation)
    operation_id = operation["operationId"]
    parts = ['<section class="operation" id="op-%s" data-method="%s" data-path="%s">'
             % (slug(operation_id), method.upper(), html.escape(base_path + path)),
             '<h3><span class="method %s">%s</span>%s</h3>'
             % (method, method.upper(), html.escape(base_path + path)),
             "<p><strong>%s</strong></p>" % markdown_inline(operation.get("summary", "")),
             '<dl class="facts"><dt>Operation</dt><dd><code>%s</code></dd>' % html.escape(operation_id),
             "<dt>Authentication</dt><dd>%s</dd>" % html.escape(security_text(desc, operation.get("security"))),
             "<dt>Permission</dt><dd>%s</dd>" % (
                 "<code>%s</code>" % html.escape(operation["x-permission"]) if operation.get("x-permission")
                 else "none"),
             "</dl>", markdown_blocks(operation.get("description", ""))]
    parts.append("<h4>Parameters</h4>")
    if params:
        parts.append("<table><thead><tr><th>name</th><th>in</th><th>required</th><th>schema</th><th>description</th>"
                     "</tr></thead><tbody>")
        for param in params:
            parts.append("<tr><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
                html.escape(param.get("name", "")), html.escape(param.get("in", "")),
                "yes" if param.get("required") else "no",
                html.escape(schema_summary(desc, param.get("schema", {}))),
                markdown_inline(param.get("description", "").strip())))
        parts.append("</tbody></table>")
    else:
        parts.append("<p>None.</p>")
    body = operation.get("requestBody")
    if body:
        body = desc.resolve(body)
        content = body.get("content", {})
        media = "application/json" if "application/json" in content else next(iter(content), None)
        schema = desc.merged(content[media].get("schema", {})) if media else {}
        parts.append("<h4>Request body</h4><p>%s%s</p>" % (
            html.escape(media or ""), " (required)" if body.get("required") else " (optional)"))
        properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
        if properties:
            required = set(schema.get("required", []))
            parts.append("<table><thead><tr><th>field</th><th>required</th><th>schema</th><th>description</th>"
                         "</tr></thead><tbody>")
            for name, prop in properties.items():
                resolved = desc.merged(prop)
                parts.append("<tr><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
                    html.escape(name), "yes" if name in required else "no", html.escape(schema_summary(desc, prop)),
                    markdown_inline((resolved.get("description", "") if isinstance(resolved, dict) else "").strip())))
            parts.append("</tbody></table>")
    parts.append('<h4>Example request</h4><pre class="example-request"><code>%s</code></pre>'
                 % html.escape(example_request(desc, base_path, path, method, operation, params)))
    parts.append('<h4>Example answer</h4><pre class="example-answer"><code>%s</code></pre>'
                 % html.escape(example_answer(desc, operation)))
    parts.append("<h4>Answers</h4><table><thead><tr><th>status</th><th>meaning</th></tr></thead><tbody>")
    for code, response in sorted(operation.get("responses", {}).items(), key=lambda item: str(item[0])):
        response = desc.resolve(response)
        parts.append("<tr><td>%s</td><td>%s</td></tr>" % (html.escape(str(code)),
                                                          markdown_inline(response.get("description", "").strip())))
    parts.append("</tbody></table></section>")
    return "\n".join(parts)


def c_array(name, data):
    lines = ["static const unsigned char %s[] = {" % name]
    for start in range(0, len(data), 24):
        lines.append("\t" + ",".join(str(b) for b in data[start:start + 24]) + ",")
    lines.append("};")
    return "\n".join(lines)


def etag(data):
    return '"%s"' % hashlib.sha256(data).hexdigest()[:32]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", required=True, help="the package version the description must state")
    parser.add_argument("yaml_file")
    parser.add_argument("c_file")
    args = parser.parse_args()
    with open(args.yaml_file, "rb") as source:
        yaml_bytes = source.read()
    try:
        document = yaml.load(yaml_bytes.decode("utf-8"), Loader=Yaml12Loader)
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        fail("%s: %s" % (args.yaml_file, error))
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3."):
        fail("%s is not an OpenAPI 3 description" % args.yaml_file)
    document = json_ready(document)
    stated = str(document.get("info", {}).get("version", ""))
    if stated != args.version:
        fail("%s says info.version %s but the package is %s: update one of them" % (
            args.yaml_file, stated, args.version))
    for path, path_item in document.get("paths", {}).items():
        for method in METHODS:
            if method in path_item and "operationId" not in path_item[method]:
                fail("%s %s has no operationId" % (method.upper(), path))
    desc = Description(document)
    json_bytes = (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    html_text, count = render_html(desc, stated)
    html_bytes = html_text.encode("utf-8")
    documents = (
        ("yaml", yaml_bytes, "application/yaml; charset=utf-8"),
        ("json", json_bytes, "application/json; charset=utf-8"),
        ("html", html_bytes, "text/html; charset=utf-8"),
    )
    out = ["/* Generated by docs/openapi_docs.py from docs/openapi.yaml (%d operations): do not edit. */" % count,
           '#include "modules/api_documents.h"', ""]
    for name, data, content_type in documents:
        out.append(c_array("api_documents_%s_bytes" % name, data))
        out.append("const struct api_document api_document_%s = {\n\t.bytes = api_documents_%s_bytes,\n"
                   "\t.length = sizeof(api_documents_%s_bytes),\n\t.content_type = %s,\n\t.etag = %s,\n};\n"
                   % (name, name, name, json.dumps(content_type), json.dumps(etag(data))))
    with open(args.c_file + ".tmp", "w", encoding="ascii") as target:
        target.write("\n".join(out))
    os.replace(args.c_file + ".tmp", args.c_file)


if __name__ == "__main__":
    main()
