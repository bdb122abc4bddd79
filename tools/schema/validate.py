#!/usr/bin/env python3
"""Validates JSON documents against nicsecctl's schemas (tools/schema/*.json).

Implements the subset of JSON Schema (2020-12) the schemas use: type (string or list), const,
enum, pattern, minimum, properties, required, additionalProperties (boolean), items,
$ref to "#/$defs/<name>" (checked after "type"; a null that "type" allows skips the $ref). Any other keyword in a schema is an error, so a schema cannot
silently rely on something this checker ignores.

  validate.py <schema.json> [<doc.json> ...]     (no docs: one document per stdin line)
Exit 0 when every document is valid; 1 with one line per violation otherwise."""
import json
import re
import sys

KNOWN = {"$schema", "$id", "title", "description", "$defs", "type", "const", "enum", "pattern",
         "minimum", "properties", "required", "additionalProperties", "items", "$ref"}
TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def check(schema, value, root, path, errors):
    unknown = set(schema) - KNOWN
    if unknown:
        errors.append(f"{path}: schema uses unsupported keywords {sorted(unknown)}")
        return
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[t](value) for t in types):
            errors.append(f"{path}: {json.dumps(value)[:60]} is not {'/'.join(types)}")
            return
        if value is None:
            return  # an allowed null carries nothing further to check
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        check(root["$defs"][name], value, root, path, errors)
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: must be {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not one of {schema['enum']}")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        errors.append(f"{path}: {value!r} does not match {schema['pattern']}")
    if "minimum" in schema and TYPES["number"](value) and value < schema["minimum"]:
        errors.append(f"{path}: {value} < {schema['minimum']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{path}: missing {key!r}")
        for key, item in value.items():
            if key in props:
                check(props[key], item, root, f"{path}.{key}", errors)
            elif schema.get("additionalProperties", True) is False:
                errors.append(f"{path}: unexpected {key!r}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            check(schema["items"], item, root, f"{path}[{i}]", errors)


def main():
    schema = json.load(open(sys.argv[1]))
    docs = [json.load(open(p)) for p in sys.argv[2:]] or \
        [json.loads(line) for line in sys.stdin if line.strip()]
    errors = []
    for i, doc in enumerate(docs):
        check(schema, doc, schema, f"doc{i}", errors)
    for e in errors[:50]:
        print(e)
    if not docs:
        print("no document to validate")
        return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
