<?php
// The bench's PHP peer: the same request as peer_list.c in plain PHP-FPM with
// PDO, as a LAMP user would write it. JWT via hash_hmac + hash_equals; a
// persistent PDO connection (default emulated prepares); a durable rate
// counter upsert; one page of the tenant's live leads; json_encode. No
// total, no session check, no RBAC. Adapted from the reference peer
// (anchors/api.php) to the bench's data. Settings come from the pool's
// environment (env[...] in its php-fpm configuration).
const PEER_RATE_LIMIT = 1000000000;

function peer_fail(int $code, string $message): never {
    http_response_code($code);
    header('Content-Type: application/json');
    echo json_encode(['success' => false, 'error' => $message]);
    exit;
}
function peer_base64url_decode(string $text): string|false {
    return base64_decode(strtr($text, '-_', '+/'), true);
}

$key = base64_decode(getenv('JWT_KEY_BASE64'), true);
$auth = $_SERVER['HTTP_AUTHORIZATION'] ?? '';
if ($key === false || strncmp($auth, 'Bearer ', 7) !== 0) peer_fail(401, 'invalid token');
$parts = explode('.', substr($auth, 7));
if (count($parts) !== 3) peer_fail(401, 'invalid token');
[$h, $p, $s] = $parts;
$header = json_decode((string)peer_base64url_decode($h), true);
if (($header['alg'] ?? '') !== 'HS256') peer_fail(401, 'invalid token');
$signature = peer_base64url_decode($s);
if ($signature === false || !hash_equals(hash_hmac('sha256', "$h.$p", $key, true), $signature)) peer_fail(401, 'invalid token');
$claims = json_decode((string)peer_base64url_decode($p), true);
if (!isset($claims['exp'], $claims['tid'], $claims['sub']) || $claims['exp'] <= time()) peer_fail(401, 'invalid token');
$tenant = (int)$claims['tid'];

$page = max(1, (int)($_GET['page'] ?? 1));
$limit = (int)($_GET['limit'] ?? 25);
if ($limit < 1 || $limit > 100) $limit = 25;

$dsn = sprintf('mysql:host=%s;port=%s;dbname=%s;charset=utf8mb4', getenv('DB_HOST'), getenv('DB_PORT'), getenv('DB_NAME'));
$db = new PDO($dsn, getenv('DB_USER'), getenv('DB_PASSWORD'),
    [PDO::ATTR_PERSISTENT => true, PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);

$now = time();
$st = $db->prepare('INSERT INTO bench_peer_rate_counters (bucket_key, window_start, hits) VALUES (?, ?, 1) '
    . 'ON DUPLICATE KEY UPDATE hits = LAST_INSERT_ID(hits + 1)');
$st->execute(["t$tenant:" . $claims['sub'], $now - $now % 60]);
$hits = $st->rowCount() === 1 ? 1 : (int)$db->lastInsertId();
if ($hits > PEER_RATE_LIMIT) peer_fail(429, 'rate limited');
header('X-RateLimit-Remaining: ' . (PEER_RATE_LIMIT - $hits));

$st = $db->prepare('SELECT lead_id AS id, first_name AS firstName, last_name AS lastName, email, company, status, source, '
    . 'created_at AS createdAt FROM sales_leads WHERE tenant_id = ? AND deleted_at IS NULL '
    . 'ORDER BY created_at DESC, lead_id DESC LIMIT ? OFFSET ?');
$st->bindValue(1, $tenant, PDO::PARAM_INT);
$st->bindValue(2, $limit, PDO::PARAM_INT);
$st->bindValue(3, ($page - 1) * $limit, PDO::PARAM_INT);
$st->execute();
$rows = $st->fetchAll(PDO::FETCH_ASSOC);

header('Content-Type: application/json');
echo json_encode(['success' => true, 'data' => $rows, 'pagination' => ['page' => $page, 'limit' => $limit]]);
