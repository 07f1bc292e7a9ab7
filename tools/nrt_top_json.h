/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-top --json: one JSON document per snapshot, in the schema of
 * Documentation/nrt-top.schema.json (NRT_TOP_JSON_SCHEMA_VERSION). Values
 * the driver does not provide are null, never left out.
 */
#ifndef NRT_TOP_JSON_H
#define NRT_TOP_JSON_H

#include <stdio.h>

#include "nrt_top_snap.h"

/* Bumped on incompatible changes only; members may be added in between. */
#define NRT_TOP_JSON_SCHEMA_VERSION 1

struct json_object;

/*
 * nrt_top_json() - the document of a snapshot
 * @s: the snapshot, with its rates if it has any
 *
 * Return: the document (json_object_put()), or NULL if out of memory.
 */
struct json_object *nrt_top_json(const struct nrt_top_snap *s);

/*
 * nrt_top_json_print() - print the document of @s on one line
 * @out: stream
 * @s: snapshot
 *
 * Return: 0, or -1 if out of memory or writing failed.
 */
int nrt_top_json_print(FILE *out, const struct nrt_top_snap *s);

#endif /* NRT_TOP_JSON_H */
