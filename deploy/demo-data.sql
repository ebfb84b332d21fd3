-- Demo data for tenant @tenant_id (set by deploy/run.sh before sourcing):
-- a realistic spread of sales records, created over the last six months.
-- Run once, right after the tenant is created. Counters are recomputed at
-- the end so list totals match.

SET @owner := (SELECT MIN(user_id) FROM users WHERE tenant_id = @tenant_id);

INSERT INTO sales_accounts (tenant_id, name, industry, website, phone, owner_user_id, annual_revenue_minor, currency,
                            created_by, created_at)
WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
SELECT @tenant_id,
       CONCAT(ELT(1 + i % 8, 'Northwind', 'Contoso', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne', 'Acme'), ' ',
              ELT(1 + (i DIV 8) % 5, 'Traders', 'Logistics', 'Labs', 'Holdings', 'Foods'), ' ', i),
       ELT(1 + i % 6, 'Retail', 'Manufacturing', 'Software', 'Logistics', 'Food', 'Finance'),
       CONCAT('https://example', i, '.test'), CONCAT('+44 20 7946 0', LPAD(i, 3, '0')), @owner,
       (100000 + i * 73519) * 100, ELT(1 + i % 3, 'EUR', 'GBP', 'USD'),
       @owner, NOW(3) - INTERVAL (i * 4) DAY
FROM n;

INSERT INTO sales_contacts (tenant_id, account_id, first_name, last_name, email, phone, title, owner_user_id,
                            created_by, created_at)
WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 80)
SELECT @tenant_id, a.account_id,
       ELT(1 + i % 10, 'Ada', 'Alan', 'Grace', 'Linus', 'Margaret', 'Dennis', 'Barbara', 'Ken', 'Frances', 'Edsger'),
       ELT(1 + (i * 7) % 10, 'Lovelace', 'Turing', 'Hopper', 'Torvalds', 'Hamilton', 'Ritchie', 'Liskov', 'Thompson',
           'Allen', 'Dijkstra'),
       CONCAT('contact', i, '@example.test'), CONCAT('+44 161 496 0', LPAD(i, 3, '0')),
       ELT(1 + i % 4, 'Buyer', 'CFO', 'Head of Operations', 'Owner'), @owner, @owner, NOW(3) - INTERVAL (i * 2) DAY
FROM n
JOIN sales_accounts a ON a.tenant_id = @tenant_id
 AND a.account_id = (SELECT MIN(account_id) FROM sales_accounts WHERE tenant_id = @tenant_id) + (n.i % 40);

INSERT INTO sales_leads (tenant_id, first_name, last_name, company, email, phone, source, status, owner_user_id, notes,
                         created_by, created_at)
WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
SELECT @tenant_id,
       ELT(1 + i % 12, 'Olivia', 'Noah', 'Amelia', 'Leo', 'Isla', 'Oliver', 'Ava', 'Arthur', 'Mia', 'Muhammad', 'Ivy',
           'Harry'),
       ELT(1 + (i * 5) % 12, 'Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans', 'Wilson', 'Thomas',
           'Johnson', 'Roberts', 'Walker'),
       CONCAT(ELT(1 + i % 9, 'Bright', 'Blue', 'Green', 'Silver', 'Rapid', 'Clear', 'Prime', 'Open', 'True'), ' ',
              ELT(1 + (i DIV 9) % 7, 'Systems', 'Kitchens', 'Motors', 'Studios', 'Farms', 'Clinics', 'Partners')),
       CONCAT('lead', i, '@example.test'), CONCAT('+44 113 496 0', LPAD(i, 3, '0')),
       ELT(1 + i % 5, 'website', 'referral', 'trade show', 'cold call', 'newsletter'),
       ELT(1 + i % 10, 'new', 'new', 'new', 'contacted', 'contacted', 'contacted', 'qualified', 'qualified', 'lost', 'new'),
       @owner, '', @owner, NOW(3) - INTERVAL (i * 14) HOUR
FROM n;

INSERT INTO sales_opportunities (tenant_id, account_id, name, stage, amount_minor, currency, close_date, probability,
                                 owner_user_id, created_by, created_at)
WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30)
SELECT @tenant_id, a.account_id, CONCAT(a.name, ' — ', ELT(1 + i % 4, 'renewal', 'expansion', 'pilot', 'new contract')),
       ELT(1 + i % 6, 'prospecting', 'qualification', 'proposal', 'negotiation', 'closed_won', 'closed_lost'),
       (5000 + i * 2750) * 100, a.currency, CURRENT_DATE + INTERVAL (i * 6) DAY, ELT(1 + i % 6, 10, 25, 50, 75, 100, 0),
       @owner, @owner, NOW(3) - INTERVAL (i * 3) DAY
FROM n
JOIN sales_accounts a ON a.tenant_id = @tenant_id
 AND a.account_id = (SELECT MIN(account_id) FROM sales_accounts WHERE tenant_id = @tenant_id) + (n.i % 40);

-- List totals come from these counters when no filter narrows a list.
INSERT INTO resource_counts (tenant_id, resource, live_rows)
SELECT @tenant_id, 'leads', COUNT(*) FROM sales_leads WHERE tenant_id = @tenant_id AND deleted_at IS NULL
UNION ALL SELECT @tenant_id, 'accounts', COUNT(*) FROM sales_accounts WHERE tenant_id = @tenant_id AND deleted_at IS NULL
UNION ALL SELECT @tenant_id, 'contacts', COUNT(*) FROM sales_contacts WHERE tenant_id = @tenant_id AND deleted_at IS NULL
UNION ALL SELECT @tenant_id, 'opportunities', COUNT(*) FROM sales_opportunities
          WHERE tenant_id = @tenant_id AND deleted_at IS NULL
ON DUPLICATE KEY UPDATE live_rows = VALUES(live_rows);

-- Finance: 60 invoices of one to three lines in every state, and 40 expenses.
INSERT INTO finance_invoices (tenant_id, number, customer_name, account_id, currency, issue_date, due_date, status,
                              created_by, created_at)
WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
SELECT @tenant_id, CONCAT('INV-DEMO-', LPAD(i, 4, '0')), a.name, a.account_id, a.currency,
       CURRENT_DATE - INTERVAL (i * 3) DAY, CURRENT_DATE - INTERVAL (i * 3) DAY + INTERVAL 30 DAY,
       ELT(1 + i % 5, 'draft', 'submitted', 'approved', 'rejected', 'paid'), @owner, NOW(3) - INTERVAL (i * 3) DAY
FROM n
JOIN sales_accounts a ON a.tenant_id = @tenant_id
 AND a.account_id = (SELECT MIN(account_id) FROM sales_accounts WHERE tenant_id = @tenant_id) + (n.i % 40);

INSERT INTO finance_invoice_lines (tenant_id, invoice_id, line_no, description, quantity, unit_price_minor,
                                   tax_rate_bp, line_total_minor, tax_minor)
WITH RECURSIVE l (line_no) AS (SELECT 1 UNION ALL SELECT line_no + 1 FROM l WHERE line_no < 3)
SELECT @tenant_id, v.invoice_id, l.line_no,
       ELT(l.line_no, 'Consulting day', 'Licence, one year', 'Support hours'),
       1 + (v.invoice_id + l.line_no) % 5, 1999 + (v.invoice_id * 7919 + l.line_no * 104729) % 90000, 2000,
       (1 + (v.invoice_id + l.line_no) % 5) * (1999 + (v.invoice_id * 7919 + l.line_no * 104729) % 90000),
       -- tax rounded half up in integer arithmetic, as the server does
       ((1 + (v.invoice_id + l.line_no) % 5) * (1999 + (v.invoice_id * 7919 + l.line_no * 104729) % 90000) * 2000
        + 5000) DIV 10000
FROM finance_invoices v JOIN l ON l.line_no <= 1 + v.invoice_id % 3
WHERE v.tenant_id = @tenant_id AND v.number LIKE 'INV-DEMO-%';

UPDATE finance_invoices v
JOIN (SELECT invoice_id, SUM(line_total_minor) AS subtotal, SUM(tax_minor) AS tax FROM finance_invoice_lines
      WHERE tenant_id = @tenant_id GROUP BY invoice_id) t ON t.invoice_id = v.invoice_id
SET v.subtotal_minor = t.subtotal, v.tax_minor = t.tax, v.total_minor = t.subtotal + t.tax,
    v.submitted_at = IF(v.status <> 'draft', v.created_at + INTERVAL 1 DAY, NULL),
    v.decided_at = IF(v.status IN ('approved', 'rejected', 'paid'), v.created_at + INTERVAL 2 DAY, NULL),
    v.paid_at = IF(v.status = 'paid', v.created_at + INTERVAL 20 DAY, NULL)
WHERE v.tenant_id = @tenant_id;

INSERT INTO finance_expenses (tenant_id, description, category, amount_minor, currency, expense_date, status,
                              created_by, created_at)
WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
SELECT @tenant_id, CONCAT(ELT(1 + i % 4, 'Train to', 'Hotel in', 'Dinner in', 'Taxi in'), ' ',
                          ELT(1 + i % 5, 'Leeds', 'Paris', 'Berlin', 'Madrid', 'Milan')),
       ELT(1 + i % 4, 'travel', 'lodging', 'meals', 'travel'), 1500 + i * 1337, 'EUR',
       CURRENT_DATE - INTERVAL (i * 2) DAY, ELT(1 + i % 5, 'draft', 'submitted', 'approved', 'rejected', 'paid'),
       @owner, NOW(3) - INTERVAL (i * 2) DAY
FROM n;

-- HR: six departments, 50 employees (salaries in minor units), some leave.
INSERT INTO hr_departments (tenant_id, name, code, created_by)
VALUES (@tenant_id, 'Sales', 'SAL', @owner), (@tenant_id, 'Finance', 'FIN', @owner),
       (@tenant_id, 'Engineering', 'ENG', @owner), (@tenant_id, 'Operations', 'OPS', @owner),
       (@tenant_id, 'People', 'HR', @owner), (@tenant_id, 'Support', 'SUP', @owner);

INSERT INTO hr_employees (tenant_id, department_id, first_name, last_name, email, job_title, hire_date,
                          employment_status, salary_minor, salary_currency, national_id, created_by, created_at)
WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
SELECT @tenant_id, d.department_id,
       ELT(1 + i % 10, 'Sophie', 'Jack', 'Emily', 'George', 'Chloe', 'Oscar', 'Lily', 'Jacob', 'Grace', 'Thomas'),
       ELT(1 + (i * 3) % 10, 'Hughes', 'Edwards', 'Green', 'Hall', 'Wood', 'Harris', 'Lewis', 'Martin', 'Jackson', 'Clarke'),
       CONCAT('employee', i, '@demo.test'),
       ELT(1 + i % 5, 'Associate', 'Specialist', 'Senior Specialist', 'Team Lead', 'Manager'),
       CURRENT_DATE - INTERVAL (30 + i * 45) DAY, IF(i % 17 = 0, 'on_leave', 'active'),
       (32000 + i * 950) * 100, 'EUR', CONCAT('QQ', LPAD(i * 7919 % 1000000, 6, '0'), 'C'), @owner,
       NOW(3) - INTERVAL (30 + i * 45) DAY
FROM n
JOIN hr_departments d ON d.tenant_id = @tenant_id
 AND d.department_id = (SELECT MIN(department_id) FROM hr_departments WHERE tenant_id = @tenant_id) + (n.i % 6);

-- One Monday-to-Friday week each, in the coming two months.
SET @next_monday := CURRENT_DATE + INTERVAL (7 - WEEKDAY(CURRENT_DATE)) DAY;
INSERT INTO hr_leave_requests (tenant_id, employee_id, leave_type, start_date, end_date, days, working_days, reason,
                               status, created_by)
SELECT @tenant_id, e.employee_id, ELT(1 + e.employee_id % 3, 'annual', 'sick', 'annual'),
       @next_monday + INTERVAL (7 * (e.employee_id % 8)) DAY, @next_monday + INTERVAL (7 * (e.employee_id % 8) + 4) DAY,
       5, 5, 'Planned time off', ELT(1 + e.employee_id % 3, 'pending', 'approved', 'rejected'), @owner
FROM hr_employees e WHERE e.tenant_id = @tenant_id AND e.employee_id % 2 = 0;

INSERT INTO resource_counts (tenant_id, resource, live_rows)
SELECT @tenant_id, 'invoices', COUNT(*) FROM finance_invoices WHERE tenant_id = @tenant_id AND deleted_at IS NULL
UNION ALL SELECT @tenant_id, 'expenses', COUNT(*) FROM finance_expenses WHERE tenant_id = @tenant_id AND deleted_at IS NULL
UNION ALL SELECT @tenant_id, 'departments', COUNT(*) FROM hr_departments WHERE tenant_id = @tenant_id AND deleted_at IS NULL
UNION ALL SELECT @tenant_id, 'employees', COUNT(*) FROM hr_employees WHERE tenant_id = @tenant_id AND deleted_at IS NULL
UNION ALL SELECT @tenant_id, 'leave requests', COUNT(*) FROM hr_leave_requests
          WHERE tenant_id = @tenant_id AND deleted_at IS NULL
ON DUPLICATE KEY UPDATE live_rows = VALUES(live_rows);
