BEGIN TRANSACTION;
CREATE TABLE artifacts (
            flow TEXT NOT NULL,
            run_id INTEGER NOT NULL,
            task_id INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            name TEXT NOT NULL,
            blob_key TEXT NOT NULL,
            size BIGINT NOT NULL,
            encoding TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (flow, run_id, task_id, attempt, name));
INSERT INTO "artifacts" VALUES('HelloFlow',1,1,0,'x','abababababababababababababababababababababababababababababababab',10,'pickle5/v1',100.0);
INSERT INTO "artifacts" VALUES('HelloFlow',1,2,0,'y','cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd',3,'pickle5/v1',101.0);
CREATE TABLE attempts (
            flow TEXT NOT NULL,
            run_id INTEGER NOT NULL,
            task_id INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            status TEXT NOT NULL,
            started_at DOUBLE PRECISION NOT NULL,
            finished_at DOUBLE PRECISION,
            exception TEXT,
            stdout_key TEXT,
            stderr_key TEXT,
            extra TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (flow, run_id, task_id, attempt));
INSERT INTO "attempts" VALUES('HelloFlow',1,1,0,'succeeded',1.79595880971697878839e+09,1.79595880971714019777e+09,NULL,NULL,NULL,'{}');
INSERT INTO "attempts" VALUES('HelloFlow',1,2,0,'succeeded',1.79595880971750521655e+09,1.79595880971757054333e+09,NULL,NULL,NULL,'{}');
CREATE TABLE flows (
            flow TEXT PRIMARY KEY,
            created_at DOUBLE PRECISION NOT NULL,
            last_run_id INTEGER NOT NULL DEFAULT 0);
INSERT INTO "flows" VALUES('HelloFlow',1.79595880968968820571e+09,1);
CREATE TABLE run_tags (
            flow TEXT NOT NULL,
            run_id INTEGER NOT NULL,
            tag TEXT NOT NULL,
            is_system INTEGER NOT NULL,
            PRIMARY KEY (flow, run_id, tag));
INSERT INTO "run_tags" VALUES('HelloFlow',1,'user:alice',1);
INSERT INTO "run_tags" VALUES('HelloFlow',1,'team:a',0);
CREATE TABLE runs (
            flow TEXT NOT NULL,
            run_id INTEGER NOT NULL,
            user_name TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            finished_at DOUBLE PRECISION,
            heartbeat_at DOUBLE PRECISION,
            origin_run_id TEXT,
            datastore_url TEXT NOT NULL,
            last_task_id INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (flow, run_id));
INSERT INTO "runs" VALUES('HelloFlow',1,'alice','succeeded',1.79595880968968820571e+09,1.79595880971766066547e+09,NULL,NULL,'file:///data/blobs',2);
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO "schema_version" VALUES(1);
CREATE TABLE steps (
            flow TEXT NOT NULL,
            run_id INTEGER NOT NULL,
            step TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            first_task_id INTEGER NOT NULL,
            PRIMARY KEY (flow, run_id, step));
INSERT INTO "steps" VALUES('HelloFlow',1,'start',1.79595880971674275398e+09,1);
INSERT INTO "steps" VALUES('HelloFlow',1,'end',1.79595880971739721302e+09,2);
CREATE TABLE task_metadata (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            flow TEXT NOT NULL,
            run_id INTEGER NOT NULL,
            task_id INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            field TEXT NOT NULL,
            value TEXT NOT NULL,
            type TEXT NOT NULL,
            tags TEXT NOT NULL,
            timestamp DOUBLE PRECISION NOT NULL);
INSERT INTO "task_metadata" VALUES(1,'HelloFlow',1,1,0,'python_version','3.11','','[]',100.0);
CREATE TABLE tasks (
            flow TEXT NOT NULL,
            run_id INTEGER NOT NULL,
            task_id INTEGER NOT NULL,
            step TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            finished_at DOUBLE PRECISION,
            attempt INTEGER NOT NULL,
            foreach_stack TEXT NOT NULL,
            input_paths TEXT NOT NULL,
            origin_pathspec TEXT,
            next_steps TEXT NOT NULL,
            num_splits INTEGER,
            heartbeat_at DOUBLE PRECISION,
            PRIMARY KEY (flow, run_id, task_id));
INSERT INTO "tasks" VALUES('HelloFlow',1,1,'start','succeeded',1.79595880971674275398e+09,1.79595880971714019777e+09,0,'[]','[]',NULL,'["end"]',NULL,1.79595880971697878839e+09);
INSERT INTO "tasks" VALUES('HelloFlow',1,2,'end','succeeded',1.79595880971739721302e+09,1.79595880971757054333e+09,0,'[]','["HelloFlow/1/start/1"]',NULL,'[]',NULL,1.79595880971750521655e+09);
CREATE INDEX run_tags_by_tag ON run_tags (flow, tag, run_id);
CREATE INDEX tasks_by_step ON tasks (flow, run_id, step, task_id);
CREATE INDEX task_metadata_by_task ON task_metadata (flow, run_id, task_id, id);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('task_metadata',1);
COMMIT;
