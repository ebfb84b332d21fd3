-- Finance: invoices with their lines, and expenses. Both documents go
-- draft -> submitted -> approved | rejected -> paid (approved -> paid only).
-- Money is BIGINT minor units (cents), computed by the server; tax rates are
-- basis points (2000 = 20 %). Keys follow 0003: tenant_id first everywhere,
-- list indexes (tenant_id, deleted_at, <sort column>).

CREATE TABLE IF NOT EXISTS finance_invoices (
  tenant_id      BIGINT UNSIGNED NOT NULL,
  invoice_id     BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  version        INT UNSIGNED NOT NULL DEFAULT 1,
  number         VARCHAR(40) NOT NULL,
  customer_name  VARCHAR(200) NOT NULL,
  account_id     BIGINT UNSIGNED NULL,
  currency       CHAR(3) NOT NULL DEFAULT 'EUR',
  issue_date     DATE NOT NULL,
  due_date       DATE NULL,
  status         ENUM('draft', 'submitted', 'approved', 'rejected', 'paid') NOT NULL DEFAULT 'draft',
  subtotal_minor BIGINT NOT NULL DEFAULT 0,
  tax_minor      BIGINT NOT NULL DEFAULT 0,
  total_minor    BIGINT NOT NULL DEFAULT 0,
  notes          VARCHAR(2000) NOT NULL DEFAULT '',
  submitted_at   DATETIME(3) NULL,
  decided_by     BIGINT UNSIGNED NULL,
  decided_at     DATETIME(3) NULL,
  decision_note  VARCHAR(1000) NULL,
  paid_at        DATETIME(3) NULL,
  created_by     BIGINT UNSIGNED NULL,
  created_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  deleted_at     DATETIME(3) NULL,
  PRIMARY KEY (tenant_id, invoice_id),
  -- numbers stay taken after a soft delete: an invoice number is never reused
  UNIQUE KEY finance_invoices_number_unique (tenant_id, number),
  KEY finance_invoices_id (invoice_id),
  KEY finance_invoices_created (tenant_id, deleted_at, created_at),
  KEY finance_invoices_updated (tenant_id, deleted_at, updated_at),
  KEY finance_invoices_number (tenant_id, deleted_at, number),
  KEY finance_invoices_customer (tenant_id, deleted_at, customer_name),
  KEY finance_invoices_issue_date (tenant_id, deleted_at, issue_date),
  KEY finance_invoices_due_date (tenant_id, deleted_at, due_date),
  KEY finance_invoices_total (tenant_id, deleted_at, total_minor),
  KEY finance_invoices_status (tenant_id, status, created_at),
  KEY finance_invoices_account (tenant_id, account_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS finance_invoice_lines (
  tenant_id        BIGINT UNSIGNED NOT NULL,
  invoice_id       BIGINT UNSIGNED NOT NULL,
  line_no          SMALLINT UNSIGNED NOT NULL,
  description      VARCHAR(500) NOT NULL,
  quantity         INT NOT NULL,
  unit_price_minor BIGINT NOT NULL,
  tax_rate_bp      INT NOT NULL DEFAULT 0,
  line_total_minor BIGINT NOT NULL,
  tax_minor        BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, invoice_id, line_no),
  CONSTRAINT finance_invoice_lines_quantity CHECK (quantity > 0),
  CONSTRAINT finance_invoice_lines_price CHECK (unit_price_minor >= 0),
  CONSTRAINT finance_invoice_lines_rate CHECK (tax_rate_bp BETWEEN 0 AND 10000)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS finance_expenses (
  tenant_id      BIGINT UNSIGNED NOT NULL,
  expense_id     BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  version        INT UNSIGNED NOT NULL DEFAULT 1,
  description    VARCHAR(500) NOT NULL,
  category       VARCHAR(100) NOT NULL DEFAULT '',
  amount_minor   BIGINT NOT NULL,
  currency       CHAR(3) NOT NULL DEFAULT 'EUR',
  expense_date   DATE NOT NULL,
  status         ENUM('draft', 'submitted', 'approved', 'rejected', 'paid') NOT NULL DEFAULT 'draft',
  submitted_at   DATETIME(3) NULL,
  decided_by     BIGINT UNSIGNED NULL,
  decided_at     DATETIME(3) NULL,
  decision_note  VARCHAR(1000) NULL,
  paid_at        DATETIME(3) NULL,
  created_by     BIGINT UNSIGNED NULL,
  created_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  deleted_at     DATETIME(3) NULL,
  PRIMARY KEY (tenant_id, expense_id),
  KEY finance_expenses_id (expense_id),
  KEY finance_expenses_created (tenant_id, deleted_at, created_at),
  KEY finance_expenses_updated (tenant_id, deleted_at, updated_at),
  KEY finance_expenses_amount (tenant_id, deleted_at, amount_minor),
  KEY finance_expenses_date (tenant_id, deleted_at, expense_date),
  KEY finance_expenses_status (tenant_id, status, created_at),
  KEY finance_expenses_category (tenant_id, category, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
