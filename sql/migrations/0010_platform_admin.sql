-- Running a tenant without shell access.
--
-- tenants: why a tenant is suspended (status_reason, given by its operator)
-- and when its status last changed. A suspended tenant keeps its data; its
-- users and keys are refused with 403 TENANT_SUSPENDED.

ALTER TABLE tenants
  ADD COLUMN IF NOT EXISTS status_reason VARCHAR(200) NOT NULL DEFAULT '' AFTER status,
  ADD COLUMN IF NOT EXISTS status_changed_at DATETIME(3) NULL AFTER status_reason;
