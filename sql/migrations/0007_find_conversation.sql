-- Find API conversation: prompts (canned answers and suggestions), chat
-- threads and their messages, the products a thread showed (for
-- "bought/seen together" recommendations) and visitor feedback.

CREATE TABLE IF NOT EXISTS find_prompts (
  tenant_id        BIGINT UNSIGNED NOT NULL,
  workspace        VARCHAR(63) NOT NULL,
  prompt_id        VARCHAR(191) NOT NULL, -- the client's id
  prompt           TEXT NOT NULL,
  title            VARCHAR(500) NOT NULL DEFAULT '',
  description      TEXT NOT NULL,
  canned_response  MEDIUMTEXT NOT NULL,
  response_format  VARCHAR(32) NOT NULL DEFAULT '',
  override_mode    VARCHAR(32) NOT NULL DEFAULT '', -- 'override' | 'fallback' | ''
  status           VARCHAR(32) NOT NULL DEFAULT 'active',
  priority         INT NOT NULL DEFAULT 0,
  active_from      DATETIME(3) NULL,
  active_to        DATETIME(3) NULL,
  tags_text        TEXT NOT NULL,
  categories_text  TEXT NOT NULL,
  document         MEDIUMTEXT NOT NULL, -- the prompt as stored, JSON
  created_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id, workspace, prompt_id),
  KEY find_prompts_id (tenant_id, prompt_id),
  KEY find_prompts_updated (tenant_id, updated_at),
  FULLTEXT KEY find_prompts_text (prompt, title, description, tags_text, categories_text)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS find_threads (
  tenant_id         BIGINT UNSIGNED NOT NULL,
  thread_id         VARCHAR(64) NOT NULL, -- the client's threadId, or generated
  workspace         VARCHAR(63) NOT NULL DEFAULT '',
  user_id           VARCHAR(191) NOT NULL DEFAULT '', -- the visitor id the client sends
  status            VARCHAR(16) NOT NULL DEFAULT 'active', -- active | handoff | closed
  has_handoff       TINYINT(1) NOT NULL DEFAULT 0,
  handoff_ended_at  DATETIME(3) NULL,
  message_count     INT UNSIGNED NOT NULL DEFAULT 0,
  title             VARCHAR(200) NOT NULL DEFAULT '',
  created_at        DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at        DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id, thread_id),
  KEY find_threads_created (tenant_id, created_at),
  KEY find_threads_user (tenant_id, user_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS find_messages (
  tenant_id      BIGINT UNSIGNED NOT NULL,
  thread_id      VARCHAR(64) NOT NULL,
  message_index  INT UNSIGNED NOT NULL, -- 0, 1, 2 ... within the thread
  role           VARCHAR(16) NOT NULL, -- user | assistant
  content        MEDIUMTEXT NOT NULL,
  payload        MEDIUMTEXT NULL, -- assistant: the products, posts and prompts shown, JSON
  created_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id, thread_id, message_index),
  KEY find_messages_created (tenant_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Products a thread showed; two products in one thread co-occur.
CREATE TABLE IF NOT EXISTS find_thread_products (
  tenant_id   BIGINT UNSIGNED NOT NULL,
  thread_id   VARCHAR(64) NOT NULL,
  product_id  VARCHAR(191) NOT NULL,
  PRIMARY KEY (tenant_id, thread_id, product_id),
  KEY find_thread_products_product (tenant_id, product_id, thread_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS find_feedback (
  tenant_id      BIGINT UNSIGNED NOT NULL,
  feedback_id    BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  thread_id      VARCHAR(64) NOT NULL,
  workspace      VARCHAR(63) NOT NULL DEFAULT '',
  rating         VARCHAR(16) NOT NULL, -- positive | negative
  comment        TEXT NULL,
  message_index  INT UNSIGNED NULL,
  metadata       TEXT NULL, -- JSON object
  source         VARCHAR(16) NOT NULL, -- secret | publishable | jwt
  created_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id, feedback_id),
  KEY find_feedback_id (feedback_id),
  KEY find_feedback_thread (tenant_id, thread_id),
  KEY find_feedback_created (tenant_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
