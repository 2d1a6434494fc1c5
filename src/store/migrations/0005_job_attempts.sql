-- 0005_job_attempts.sql - how many times a job has started, so that a job
-- that keeps dying across restarts is failed instead of retried forever.

ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
