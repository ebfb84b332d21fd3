-- HR: departments, employees and leave requests. The conventions of the
-- other business records (0003): tenant_id first in every key, a row
-- version for If-Match, created_by / created_at / updated_at, soft delete
-- through deleted_at, and list indexes (tenant_id, deleted_at, <sort column>).

CREATE TABLE IF NOT EXISTS hr_departments (
  tenant_id     BIGINT UNSIGNED NOT NULL,
  department_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  version       INT UNSIGNED NOT NULL DEFAULT 1,
  name          VARCHAR(200) NOT NULL,
  code          VARCHAR(20)  NOT NULL DEFAULT '',
  parent_department_id BIGINT UNSIGNED NULL,
  manager_employee_id  BIGINT UNSIGNED NULL,
  created_by    BIGINT UNSIGNED NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  deleted_at    DATETIME(3) NULL,
  PRIMARY KEY (tenant_id, department_id),
  KEY hr_departments_id (department_id),
  KEY hr_departments_created (tenant_id, deleted_at, created_at),
  KEY hr_departments_updated (tenant_id, deleted_at, updated_at),
  KEY hr_departments_name (tenant_id, deleted_at, name),
  KEY hr_departments_code (tenant_id, deleted_at, code),
  KEY hr_departments_parent (tenant_id, parent_department_id),
  KEY hr_departments_manager (tenant_id, manager_employee_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS hr_employees (
  tenant_id     BIGINT UNSIGNED NOT NULL,
  employee_id   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  version       INT UNSIGNED NOT NULL DEFAULT 1,
  -- the Intuka user this employee is, if any: how a user files their own leave
  user_id       BIGINT UNSIGNED NULL,
  department_id BIGINT UNSIGNED NULL,
  first_name    VARCHAR(100) NOT NULL,
  last_name     VARCHAR(100) NOT NULL,
  email         VARCHAR(254) NOT NULL DEFAULT '',
  job_title     VARCHAR(100) NOT NULL DEFAULT '',
  hire_date     DATE NULL,
  employment_status ENUM('active', 'on_leave', 'terminated') NOT NULL DEFAULT 'active',
  -- sensitive: shown only to hr.manage; money in minor units (cents)
  salary_minor  BIGINT NULL,
  salary_currency CHAR(3) NULL,
  national_id   VARCHAR(50) NULL,
  -- Raised by every leave approval of this employee. The write, unlike a
  -- SELECT ... FOR UPDATE, also makes two approvals on different Galera
  -- nodes conflict at commit, so overlapping leave cannot be approved twice.
  leave_approvals INT UNSIGNED NOT NULL DEFAULT 0,
  created_by    BIGINT UNSIGNED NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  deleted_at    DATETIME(3) NULL,
  -- A user is at most one live employee of a tenant; a deleted employee
  -- keeps its user_id for the record but no longer holds the link.
  live_user_id  BIGINT UNSIGNED AS (IF(deleted_at IS NULL, user_id, NULL)) PERSISTENT,
  PRIMARY KEY (tenant_id, employee_id),
  UNIQUE KEY hr_employees_live_user (tenant_id, live_user_id),
  KEY hr_employees_id (employee_id),
  KEY hr_employees_created (tenant_id, deleted_at, created_at),
  KEY hr_employees_updated (tenant_id, deleted_at, updated_at),
  KEY hr_employees_last_name (tenant_id, deleted_at, last_name),
  KEY hr_employees_first_name (tenant_id, deleted_at, first_name),
  KEY hr_employees_job_title (tenant_id, deleted_at, job_title),
  KEY hr_employees_hire_date (tenant_id, deleted_at, hire_date),
  KEY hr_employees_department (tenant_id, department_id),
  KEY hr_employees_status (tenant_id, employment_status, created_at),
  KEY hr_employees_email (tenant_id, email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS hr_leave_requests (
  tenant_id        BIGINT UNSIGNED NOT NULL,
  leave_request_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  version          INT UNSIGNED NOT NULL DEFAULT 1,
  employee_id      BIGINT UNSIGNED NOT NULL,
  leave_type       ENUM('annual', 'sick', 'unpaid', 'other') NOT NULL,
  start_date       DATE NOT NULL,
  end_date         DATE NOT NULL,
  -- counted when filed: calendar days and Monday-to-Friday days, both ends included
  days             INT UNSIGNED NOT NULL,
  working_days     INT UNSIGNED NOT NULL,
  reason           VARCHAR(1000) NOT NULL DEFAULT '',
  status           ENUM('pending', 'approved', 'rejected', 'cancelled') NOT NULL DEFAULT 'pending',
  decided_by       BIGINT UNSIGNED NULL,
  decided_at       DATETIME(3) NULL,
  decision_note    VARCHAR(500) NULL,
  -- decided_at as the API shows timestamps (UTC, ISO 8601)
  decided_at_text  VARCHAR(32) AS (DATE_FORMAT(decided_at, '%Y-%m-%dT%H:%i:%s.%fZ')) VIRTUAL,
  created_by       BIGINT UNSIGNED NULL,
  created_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  deleted_at       DATETIME(3) NULL,
  PRIMARY KEY (tenant_id, leave_request_id),
  KEY hr_leave_requests_id (leave_request_id),
  KEY hr_leave_requests_created (tenant_id, deleted_at, created_at),
  KEY hr_leave_requests_updated (tenant_id, deleted_at, updated_at),
  KEY hr_leave_requests_start (tenant_id, deleted_at, start_date),
  KEY hr_leave_requests_end (tenant_id, deleted_at, end_date),
  -- the overlap check at approval: one employee's approved leave by start
  KEY hr_leave_requests_overlap (tenant_id, employee_id, status, start_date),
  KEY hr_leave_requests_status (tenant_id, status, created_at),
  CONSTRAINT hr_leave_requests_dates CHECK (end_date >= start_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
