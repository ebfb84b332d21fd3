-- Workflows without dead ends.
--
-- Leave requests: half days. start_half_day = the first day is taken from
-- noon, end_half_day = the last day ends at noon. half_days is what the
-- request charges against a balance (two per Monday-to-Friday day, less the
-- halves), fixed when filed or edited.
ALTER TABLE hr_leave_requests
  ADD COLUMN IF NOT EXISTS start_half_day TINYINT(1) NOT NULL DEFAULT 0 AFTER end_date,
  ADD COLUMN IF NOT EXISTS end_half_day TINYINT(1) NOT NULL DEFAULT 0 AFTER start_half_day,
  ADD COLUMN IF NOT EXISTS half_days INT UNSIGNED NULL AFTER working_days;

-- Requests filed before half days existed charge their working days.
UPDATE hr_leave_requests SET half_days = 2 * working_days WHERE half_days IS NULL;

-- The balance check of one employee's leave of one type: pending and
-- approved requests by start date.
ALTER TABLE hr_leave_requests
  ADD KEY IF NOT EXISTS hr_leave_requests_balance (tenant_id, employee_id, leave_type, status, start_date);

-- Leave allowances: how many days of a leave type an employee may take in a
-- calendar year, in half days. A type without a row for the year is not
-- counted against a balance.
CREATE TABLE IF NOT EXISTS hr_leave_allowances (
  tenant_id      BIGINT UNSIGNED NOT NULL,
  employee_id    BIGINT UNSIGNED NOT NULL,
  leave_type     ENUM('annual', 'sick', 'unpaid', 'other') NOT NULL,
  year           SMALLINT UNSIGNED NOT NULL,
  half_days      INT UNSIGNED NOT NULL,
  created_by     BIGINT UNSIGNED NULL,
  created_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id, employee_id, leave_type, year)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Invoices past payment: a paid invoice is voided (with a reason) or
-- credited by a credit note, itself a row of finance_invoices
-- (document_type 'credit_note') with the credited invoice's lines and
-- amounts, pointing back at it (credited_invoice_id); the credited invoice
-- points at its credit note (credit_note_id).
ALTER TABLE finance_invoices
  MODIFY COLUMN status ENUM('draft', 'submitted', 'approved', 'rejected', 'paid', 'void', 'credited')
    NOT NULL DEFAULT 'draft',
  ADD COLUMN IF NOT EXISTS document_type ENUM('invoice', 'credit_note') NOT NULL DEFAULT 'invoice' AFTER number,
  ADD COLUMN IF NOT EXISTS credited_invoice_id BIGINT UNSIGNED NULL AFTER document_type,
  ADD COLUMN IF NOT EXISTS credit_note_id BIGINT UNSIGNED NULL AFTER credited_invoice_id,
  ADD COLUMN IF NOT EXISTS voided_by BIGINT UNSIGNED NULL AFTER paid_at,
  ADD COLUMN IF NOT EXISTS voided_at DATETIME(3) NULL AFTER voided_by,
  ADD COLUMN IF NOT EXISTS void_reason VARCHAR(1000) NULL AFTER voided_at;

-- Approval thresholds: above limit_minor (in currency) an approval by a
-- holder of the profile is the first of two; a second approver completes
-- it. A profile without a row for a currency approves any amount alone.
CREATE TABLE IF NOT EXISTS finance_approval_limits (
  tenant_id      BIGINT UNSIGNED NOT NULL,
  profile_id     BIGINT UNSIGNED NOT NULL,
  currency       CHAR(3) NOT NULL,
  limit_minor    BIGINT NOT NULL,
  created_by     BIGINT UNSIGNED NULL,
  created_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id, profile_id, currency),
  CONSTRAINT finance_approval_limits_positive CHECK (limit_minor >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The first of two approvals of a document above its approver's limit.
ALTER TABLE finance_invoices
  ADD COLUMN IF NOT EXISTS first_approved_by BIGINT UNSIGNED NULL AFTER submitted_at,
  ADD COLUMN IF NOT EXISTS first_approved_at DATETIME(3) NULL AFTER first_approved_by;
ALTER TABLE finance_expenses
  ADD COLUMN IF NOT EXISTS first_approved_by BIGINT UNSIGNED NULL AFTER submitted_at,
  ADD COLUMN IF NOT EXISTS first_approved_at DATETIME(3) NULL AFTER first_approved_by;

-- Opportunities: why one was lost (required to enter closed_lost, kept as
-- the last loss's reason), and the history of its stages, a row per
-- change (from_stage NULL for the stage it was created in).
ALTER TABLE sales_opportunities
  ADD COLUMN IF NOT EXISTS lost_reason VARCHAR(500) NULL AFTER probability;

CREATE TABLE IF NOT EXISTS sales_opportunity_stages (
  tenant_id      BIGINT UNSIGNED NOT NULL,
  history_id     BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  opportunity_id BIGINT UNSIGNED NOT NULL,
  from_stage     ENUM('prospecting', 'qualification', 'proposal', 'negotiation', 'closed_won', 'closed_lost') NULL,
  to_stage       ENUM('prospecting', 'qualification', 'proposal', 'negotiation', 'closed_won', 'closed_lost') NOT NULL,
  lost_reason    VARCHAR(500) NULL,
  changed_by     BIGINT UNSIGNED NULL,
  changed_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id, history_id),
  KEY sales_opportunity_stages_id (history_id),
  KEY sales_opportunity_stages_opportunity (tenant_id, opportunity_id, history_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
