import type { PartTables } from '../store/database.js';

/**
 * The workflows' tables. Definitions keep their YAML source (what the owner wrote); runs keep
 * the parsed definition they started with, so editing a workflow never changes a run halfway.
 * Each step row is the journal a resumed run replays: a step that is `done` is never run
 * again. `workflow_timers` holds every wait, `for:` deadline, ask timeout and schedule slot
 * with its due time; the engine's only clock is "what is due now".
 */
export const workflowsTables: PartTables = {
  part: 'workflows',
  migrations: [
    {
      version: 1,
      name: 'workflows, runs, steps, timers',
      up: `
        CREATE TABLE workflows (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          source TEXT NOT NULL,
          enabled INTEGER NOT NULL DEFAULT 0,
          origin TEXT NOT NULL,
          file TEXT,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        );
        CREATE TABLE workflow_runs (
          id TEXT PRIMARY KEY,
          workflow_id TEXT NOT NULL,
          state TEXT NOT NULL,
          queued INTEGER NOT NULL DEFAULT 0,
          dry_run INTEGER NOT NULL DEFAULT 0,
          trigger TEXT NOT NULL,
          definition TEXT NOT NULL,
          started_at INTEGER NOT NULL,
          finished_at INTEGER,
          error TEXT
        );
        CREATE INDEX workflow_runs_by_workflow ON workflow_runs (workflow_id, started_at);
        CREATE INDEX workflow_runs_open ON workflow_runs (state) WHERE state IN ('running', 'waiting');
        CREATE TABLE workflow_steps (
          run_id TEXT NOT NULL REFERENCES workflow_runs(id) ON DELETE CASCADE,
          path TEXT NOT NULL,
          seq INTEGER NOT NULL,
          kind TEXT NOT NULL,
          state TEXT NOT NULL,
          started_at INTEGER NOT NULL,
          finished_at INTEGER,
          output TEXT,
          error TEXT,
          ref TEXT,
          PRIMARY KEY (run_id, path)
        );
        CREATE TABLE workflow_timers (
          id TEXT PRIMARY KEY,
          kind TEXT NOT NULL,
          workflow_id TEXT NOT NULL,
          run_id TEXT,
          path TEXT,
          due_at INTEGER NOT NULL,
          data TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX workflow_timers_due ON workflow_timers (due_at);
        CREATE UNIQUE INDEX workflow_timers_key ON workflow_timers (workflow_id, kind, COALESCE(run_id, ''), COALESCE(path, ''));
      `,
    },
  ],
};
