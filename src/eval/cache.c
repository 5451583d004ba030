// cache.c — the SQLite response cache (WAL, so a reader never blocks the single writer).
#include "eval/cache.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/files.h"

struct ResponseCache {
    sqlite3 *db;
    sqlite3_stmt *get, *put;
};

int response_cache_open(ResponseCache **out, const char *path, Error *err) {
    *out = NULL;
    ResponseCache *cache = calloc(1, sizeof *cache);
    if (!cache) return error_set(err, "out of memory");
    if (sqlite3_open(path, &cache->db) != SQLITE_OK) {
        error_set(err, "%s: cannot open the response cache: %s", path, cache->db ? sqlite3_errmsg(cache->db) : "out of memory");
        response_cache_close(cache);
        return -1;
    }
    sqlite3_busy_timeout(cache->db, 10000);
    const char *schema = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                         "CREATE TABLE IF NOT EXISTS responses(key TEXT PRIMARY KEY, text TEXT NOT NULL,"
                         " prompt_tokens INTEGER, completion_tokens INTEGER, created INTEGER);";
    char *message = NULL;
    if (sqlite3_exec(cache->db, schema, NULL, NULL, &message) != SQLITE_OK ||
        sqlite3_prepare_v2(cache->db, "SELECT text, prompt_tokens, completion_tokens FROM responses WHERE key = ?", -1,
                           &cache->get, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(cache->db, "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?)", -1, &cache->put, NULL) != SQLITE_OK) {
        error_set(err, "%s: not a usable response cache (%s); delete it or pass --no-cache", path,
                  message ? message : sqlite3_errmsg(cache->db));
        sqlite3_free(message);
        response_cache_close(cache);
        return -1;
    }
    *out = cache;
    return 0;
}

void response_cache_close(ResponseCache *cache) {
    if (!cache) return;
    sqlite3_finalize(cache->get);
    sqlite3_finalize(cache->put);
    sqlite3_close(cache->db);
    free(cache);
}

int response_cache_get(ResponseCache *cache, const char *key, char **text, int *prompt_tokens, int *completion_tokens,
                       Error *err) {
    *text = NULL;
    sqlite3_reset(cache->get);
    sqlite3_bind_text(cache->get, 1, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(cache->get);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return error_set(err, "response cache: %s", sqlite3_errmsg(cache->db));
    *text = string_duplicate((const char *)sqlite3_column_text(cache->get, 0));
    *prompt_tokens = sqlite3_column_type(cache->get, 1) == SQLITE_NULL ? -1 : sqlite3_column_int(cache->get, 1);
    *completion_tokens = sqlite3_column_type(cache->get, 2) == SQLITE_NULL ? -1 : sqlite3_column_int(cache->get, 2);
    sqlite3_reset(cache->get);
    return *text ? 1 : error_set(err, "out of memory");
}

int response_cache_put(ResponseCache *cache, const char *key, const char *text, int prompt_tokens, int completion_tokens,
                       Error *err) {
    sqlite3_reset(cache->put);
    sqlite3_bind_text(cache->put, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(cache->put, 2, text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(cache->put, 3, prompt_tokens);
    sqlite3_bind_int(cache->put, 4, completion_tokens);
    sqlite3_bind_int64(cache->put, 5, (sqlite3_int64)time(NULL));
    int rc = sqlite3_step(cache->put);
    sqlite3_reset(cache->put);
    return rc == SQLITE_DONE ? 0 : error_set(err, "response cache: %s", sqlite3_errmsg(cache->db));
}
