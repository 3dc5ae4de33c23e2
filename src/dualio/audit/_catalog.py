"""What the rules know about the outside world: blocking calls, loop runners, loop-bound types, timeouts.

Names are fully qualified as they are imported (``requests.post``, ``httpx.Client``). A method is named through
the type of the object it is called on (``httpx.Client.get``); ``_types.py`` infers those types from
constructors, annotations and the results of known calls. Private module paths that users import directly
(``sqlalchemy.orm.session.Session``) are folded into the public name by :data:`TYPE_ALIASES`.
"""

from __future__ import annotations

_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream"})
_ALL = frozenset({"*"})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _names(prefix: str, names: str) -> dict[str, str]:
    return {f"{prefix}.{name}": f"{prefix}.{name}" for name in names.split()}


# A call to one of these blocks the calling thread (the value says what it is, for the message).
BLOCKING_FUNCTIONS: dict[str, str] = {
    "time.sleep": "time.sleep",
    "builtins.open": "open (file I/O)",
    "builtins.input": "input",
    "io.open": "io.open (file I/O)",
    "codecs.open": "codecs.open (file I/O)",
    "getpass.getpass": "getpass.getpass",
    "webbrowser.open": "webbrowser.open",
    **_names(
        "os",
        "read write open listdir scandir walk stat lstat remove unlink rename renames replace makedirs mkdir rmdir "
        "removedirs system popen wait waitpid wait3 wait4 fsync fdatasync sendfile truncate link symlink readlink "
        "copy_file_range spawnl spawnv spawnlp spawnvp posix_spawn",
    ),
    **_names("os.path", "exists isfile isdir islink getsize getmtime getatime getctime samefile"),
    **_names(
        "shutil",
        "copy copy2 copyfile copyfileobj copytree copymode copystat rmtree move make_archive unpack_archive "
        "disk_usage chown",
    ),
    **_names("glob", "glob iglob"),
    **_names("tempfile", "mkstemp mkdtemp TemporaryFile NamedTemporaryFile SpooledTemporaryFile TemporaryDirectory"),
    "tarfile.open": "tarfile.open",
    "zipfile.ZipFile": "zipfile.ZipFile",
    **_names("subprocess", "run call check_call check_output getoutput getstatusoutput Popen"),
    **_names("socket", "create_connection getaddrinfo gethostbyname gethostbyname_ex gethostbyaddr getfqdn"),
    **_names("requests", "get post put patch delete head options request"),
    **_names("requests.api", "get post put patch delete head options request"),
    **_names("urllib.request", "urlopen urlretrieve"),
    "urllib3.request": "urllib3.request",
    **_names("httpx", "get post put patch delete head options request stream"),
    "smtplib.SMTP": "smtplib.SMTP (connects)",
    "smtplib.SMTP_SSL": "smtplib.SMTP_SSL (connects)",
    "ftplib.FTP": "ftplib.FTP (connects)",
    "psycopg2.connect": "psycopg2.connect",
    "psycopg.connect": "psycopg.connect",
    "psycopg.Connection.connect": "psycopg.Connection.connect",
    "sqlite3.connect": "sqlite3.connect",
    "pymysql.connect": "pymysql.connect",
    "MySQLdb.connect": "MySQLdb.connect",
    "mysql.connector.connect": "mysql.connector.connect",
    "pyodbc.connect": "pyodbc.connect",
    "cx_Oracle.connect": "cx_Oracle.connect",
    "oracledb.connect": "oracledb.connect",
    "boto3.client": "boto3.client (loads service models from disk)",
    "pika.BlockingConnection": "pika.BlockingConnection (connects)",
    "boto3.resource": "boto3.resource (loads service models from disk)",
}

# Methods that block, per type; ``{"*"}`` means every method except those in NON_BLOCKING_METHODS.
BLOCKING_METHODS: dict[str, frozenset[str]] = {
    "httpx.Client": _HTTP_VERBS,
    "requests.Session": _HTTP_VERBS,
    "urllib3.PoolManager": frozenset({"request", "urlopen", "request_encode_url", "request_encode_body"}),
    "http.client.HTTPConnection": frozenset({"request", "getresponse", "connect", "send"}),
    "sqlite3.Connection": frozenset({"execute", "executemany", "executescript", "commit", "rollback", "backup"}),
    "sqlite3.Cursor": frozenset({"execute", "executemany", "executescript", "fetchone", "fetchall", "fetchmany"}),
    "psycopg2.connection": frozenset({"commit", "rollback"}),
    "psycopg.Connection": frozenset({"execute", "commit", "rollback"}),
    "dbapi.Cursor": frozenset(
        {"execute", "executemany", "fetchone", "fetchall", "fetchmany", "callproc", "copy_expert"}
    ),
    "pymysql.Connection": frozenset({"commit", "rollback", "ping", "query", "select_db"}),
    "sqlalchemy.orm.Session": frozenset(
        {
            "execute",
            "exec",
            "scalar",
            "scalars",
            "get",
            "get_one",
            "commit",
            "flush",
            "refresh",
            "query",
            "rollback",
            "merge",
        }
    ),
    "sqlalchemy.Engine": frozenset({"connect", "begin", "raw_connection"}),
    "sqlalchemy.Connection": frozenset({"execute", "scalar", "scalars", "commit", "rollback", "exec_driver_sql"}),
    "redis.Redis": _ALL,
    "boto3.client": _ALL,
    "pathlib.Path": frozenset(
        {
            "open",
            "read_text",
            "read_bytes",
            "write_text",
            "write_bytes",
            "mkdir",
            "rmdir",
            "unlink",
            "iterdir",
            "glob",
            "rglob",
            "touch",
            "rename",
            "replace",
            "walk",
            "exists",
            "is_file",
            "is_dir",
            "stat",
        }
    ),
    "subprocess.Popen": frozenset({"wait", "communicate"}),
    "threading.Thread": frozenset({"join"}),
    "threading.Event": frozenset({"wait"}),
    "queue.Queue": frozenset({"get", "put", "join"}),
    "concurrent.futures.Future": frozenset({"result", "exception"}),
    "openai.OpenAI": _ALL,
    "anthropic.Anthropic": _ALL,
    "pymongo.MongoClient": _ALL,
    "elasticsearch.Elasticsearch": _ALL,
    "minio.Minio": _ALL,
    "google.cloud.storage.Client": _ALL,
    "telebot.TeleBot": _ALL,
    "pika.BlockingConnection": _ALL,
    "django.QuerySet": _words(
        "get create get_or_create update_or_create count exists first last delete update bulk_create bulk_update "
        "aggregate latest earliest in_bulk contains"
    ),
}

# Sync clients whose attributes are sub-clients (``client.chat.completions.create``, ``mongo.db.notes.find``):
# any method reached through their attributes or items blocks like a method of the client itself.
DEEP_CLIENTS = _words(
    "openai.OpenAI anthropic.Anthropic pymongo.MongoClient elasticsearch.Elasticsearch google.cloud.storage.Client "
    "boto3.client openai.AsyncOpenAI anthropic.AsyncAnthropic motor.motor_asyncio.AsyncIOMotorClient"
)

NON_BLOCKING_METHODS: dict[str, frozenset[str]] = {
    "openai.OpenAI": frozenset({"with_options", "copy", "close"}),
    "anthropic.Anthropic": frozenset({"with_options", "copy", "close"}),
    "pymongo.MongoClient": frozenset({"get_database", "get_collection", "with_options", "get_default_database"}),
    "redis.Redis": frozenset({"pipeline", "pubsub", "lock", "register_script", "get_encoder", "from_url", "close"}),
    "boto3.client": frozenset(
        {"get_paginator", "get_waiter", "can_paginate", "generate_presigned_url", "generate_presigned_post", "close"}
    ),
}

# Calls that run an event loop to completion in the calling thread (or refuse to, inside a running loop).
SYNC_OVER_ASYNC: dict[str, str] = {
    "asyncio.run": "asyncio.run",
    "asyncio.Runner.run": "asyncio.Runner.run",
    "asyncio.AbstractEventLoop.run_until_complete": "loop.run_until_complete",
    "asyncio.AbstractEventLoop.run_forever": "loop.run_forever",
    # Building the wrapper runs nothing; calling it does: `async_to_sync(fn)(...)` resolves to the "()" name.
    "asgiref.sync.async_to_sync()": "asgiref.sync.async_to_sync(...)()",
    "asgiref.sync.AsyncToSync()": "asgiref.sync.AsyncToSync(...)()",
    "dualio.run": "dualio.run",
    "dualio.run_async_task": "dualio.run_async_task",
    "dualio.iterate": "dualio.iterate",
    "dualio.enter": "dualio.enter",
    "dualio.Portal.run": "Portal.run",
    "dualio.Portal.iterate": "Portal.iterate",
    "dualio.Portal.enter": "Portal.enter",
    "nest_asyncio.apply": "nest_asyncio.apply",
    "anyio.run": "anyio.run",
    "anyio.from_thread.run": "anyio.from_thread.run",
    "anyio.from_thread.run_sync": "anyio.from_thread.run_sync",
    "trio.run": "trio.run",
    "uvloop.run": "uvloop.run",
}
# Of those, the ones whose call only builds an iterator: the loop runs when it is iterated (their display names).
SYNC_OVER_ASYNC_WHEN_ITERATED = frozenset({"dualio.iterate", "Portal.iterate"})
# Method names that mean "run the loop here" whatever the receiver's type.
SYNC_OVER_ASYNC_METHODS = frozenset({"run_until_complete"})

# Loop methods that call back a function on the event loop thread, and the position of that function.
LOOP_CALLBACKS: dict[str, int] = {
    "call_soon": 0,
    "call_soon_threadsafe": 0,
    "call_later": 1,
    "call_at": 1,
    "add_reader": 1,
    "add_writer": 1,
    "add_signal_handler": 1,
}

# Calls that start a task; their result must be kept.
TASK_STARTERS = frozenset(
    {"asyncio.create_task", "asyncio.ensure_future", "asyncio.AbstractEventLoop.create_task", "asyncio.async"}
)

# Objects that bind to the event loop they are first used on (rule DIO501).
LOOP_BOUND: dict[str, str] = {
    **_names("asyncio", "Lock Event Condition Semaphore BoundedSemaphore Queue PriorityQueue LifoQueue Barrier Future"),
    "asyncio.get_event_loop": "asyncio.get_event_loop() (a captured loop)",
    "aiohttp.ClientSession": "aiohttp.ClientSession",
    "aiohttp.TCPConnector": "aiohttp.TCPConnector",
    "httpx.AsyncClient": "httpx.AsyncClient",
    "sqlalchemy.ext.asyncio.create_async_engine": "an AsyncEngine (create_async_engine)",
    "sqlalchemy.ext.asyncio.AsyncEngine": "sqlalchemy AsyncEngine",
    "redis.asyncio.Redis": "a redis.asyncio client",
    "redis.asyncio.from_url": "a redis.asyncio client (from_url)",
    "redis.asyncio.Redis.from_url": "a redis.asyncio client (from_url)",
    "redis.asyncio.ConnectionPool": "a redis.asyncio ConnectionPool",
    "aioredis.from_url": "an aioredis client",
    "aioredis.Redis": "an aioredis client",
    "motor.motor_asyncio.AsyncIOMotorClient": "a motor client",
}

# Context managers and wrappers that put a timeout in scope.
TIMEOUT_SCOPES = frozenset(
    {
        "asyncio.timeout",
        "asyncio.timeout_at",
        "asyncio.Timeout",
        "async_timeout.timeout",
        "async_timeout.timeout_at",
        "anyio.fail_after",
        "anyio.move_on_after",
        "anyio.CancelScope",
        "trio.fail_after",
        "trio.move_on_after",
        "trio.fail_at",
        "trio.move_on_at",
    }
)
TIMEOUT_WRAPPERS = frozenset({"asyncio.wait_for", "async_timeout.wait_for"})
TIMEOUT_KEYWORDS = frozenset({"timeout", "command_timeout", "socket_timeout", "read_timeout", "total_timeout"})

# Awaited external calls (rule DIO601); the value is True when the library applies a default timeout itself.
EXTERNAL_FUNCTIONS: dict[str, bool] = {
    "asyncio.open_connection": False,
    "asyncio.open_unix_connection": False,
    "asyncio.create_subprocess_exec": False,
    "asyncio.create_subprocess_shell": False,
    "aiohttp.request": False,
    "asyncpg.connect": False,
    "asyncpg.create_pool": False,
    "anyio.connect_tcp": False,
    "anyio.connect_unix": False,
    "anyio.run_process": False,
    "websockets.connect": True,
}
EXTERNAL_METHODS: dict[str, tuple[frozenset[str], bool]] = {
    "httpx.AsyncClient": (_HTTP_VERBS, True),
    "aiohttp.ClientSession": (_HTTP_VERBS | {"ws_connect"}, False),
    "asyncpg.Connection": (
        frozenset({"fetch", "fetchrow", "fetchval", "execute", "executemany", "copy_to_table"}),
        False,
    ),
    "asyncpg.Pool": (frozenset({"fetch", "fetchrow", "fetchval", "execute", "executemany", "acquire"}), False),
    "sqlalchemy.ext.asyncio.AsyncSession": (
        frozenset({"execute", "scalar", "scalars", "get", "commit", "flush", "refresh", "stream"}),
        False,
    ),
    "sqlalchemy.ext.asyncio.AsyncEngine": (frozenset({"connect", "begin"}), False),
    "redis.asyncio.Redis": (_ALL, False),
    "asyncio.subprocess.Process": (frozenset({"communicate", "wait"}), False),
    "asyncio.StreamReader": (frozenset({"read", "readline", "readexactly", "readuntil"}), False),
    "openai.AsyncOpenAI": (_ALL, False),  # the default timeout is 10 minutes
    "anthropic.AsyncAnthropic": (_ALL, False),
    "motor.motor_asyncio.AsyncIOMotorClient": (_ALL, False),
}

# What a call returns, when it matters for the rules: constructors, factories and methods returning clients.
RESULT_TYPES: dict[str, str] = {
    "httpx.Client": "httpx.Client",
    "httpx.AsyncClient": "httpx.AsyncClient",
    "requests.Session": "requests.Session",
    "requests.session": "requests.Session",
    "urllib3.PoolManager": "urllib3.PoolManager",
    "http.client.HTTPConnection": "http.client.HTTPConnection",
    "http.client.HTTPSConnection": "http.client.HTTPConnection",
    "sqlite3.connect": "sqlite3.Connection",
    "sqlite3.Connection.cursor": "sqlite3.Cursor",
    "sqlite3.Connection.execute": "sqlite3.Cursor",
    "psycopg2.connect": "psycopg2.connection",
    "psycopg2.connection.cursor": "dbapi.Cursor",
    "psycopg.connect": "psycopg.Connection",
    "psycopg.Connection.connect": "psycopg.Connection",
    "psycopg.Connection.cursor": "dbapi.Cursor",
    "pymysql.connect": "pymysql.Connection",
    "pymysql.Connection.cursor": "dbapi.Cursor",
    "MySQLdb.connect": "pymysql.Connection",
    "sqlalchemy.create_engine": "sqlalchemy.Engine",
    "sqlalchemy.Engine.connect": "sqlalchemy.Connection",
    "sqlalchemy.Engine.begin": "sqlalchemy.Connection",
    "sqlalchemy.orm.Session": "sqlalchemy.orm.Session",
    "redis.Redis": "redis.Redis",
    "redis.StrictRedis": "redis.Redis",
    "redis.from_url": "redis.Redis",
    "redis.Redis.from_url": "redis.Redis",
    "redis.asyncio.Redis": "redis.asyncio.Redis",
    "redis.asyncio.from_url": "redis.asyncio.Redis",
    "redis.asyncio.Redis.from_url": "redis.asyncio.Redis",
    "boto3.client": "boto3.client",
    "boto3.resource": "boto3.client",
    "boto3.session.Session.client": "boto3.client",
    "boto3.session.Session.resource": "boto3.client",
    "pathlib.Path": "pathlib.Path",
    "pathlib.PurePath": "pathlib.PurePath",
    "pathlib.Path.cwd": "pathlib.Path",
    "pathlib.Path.home": "pathlib.Path",
    "subprocess.Popen": "subprocess.Popen",
    "threading.Thread": "threading.Thread",
    "threading.Event": "threading.Event",
    "queue.Queue": "queue.Queue",
    "asyncio.get_event_loop": "asyncio.AbstractEventLoop",
    "asyncio.get_running_loop": "asyncio.AbstractEventLoop",
    "asyncio.new_event_loop": "asyncio.AbstractEventLoop",
    "asyncio.Runner": "asyncio.Runner",
    "asyncio.TaskGroup": "asyncio.TaskGroup",
    "aiohttp.ClientSession": "aiohttp.ClientSession",
    "asyncpg.connect": "asyncpg.Connection",
    "asyncpg.create_pool": "asyncpg.Pool",
    "sqlalchemy.ext.asyncio.create_async_engine": "sqlalchemy.ext.asyncio.AsyncEngine",
    "sqlalchemy.ext.asyncio.AsyncSession": "sqlalchemy.ext.asyncio.AsyncSession",
    "asyncio.create_subprocess_exec": "asyncio.subprocess.Process",
    "asyncio.create_subprocess_shell": "asyncio.subprocess.Process",
    "dualio.Portal": "dualio.Portal",
    "asyncio.run_coroutine_threadsafe": "concurrent.futures.Future",
    "sqlmodel.create_engine": "sqlalchemy.Engine",
    "openai.OpenAI": "openai.OpenAI",
    "openai.AsyncOpenAI": "openai.AsyncOpenAI",
    "anthropic.AsyncAnthropic": "anthropic.AsyncAnthropic",
    "motor.motor_asyncio.AsyncIOMotorClient": "motor.motor_asyncio.AsyncIOMotorClient",
    "anthropic.Anthropic": "anthropic.Anthropic",
    "pymongo.MongoClient": "pymongo.MongoClient",
    "pymongo.MongoClient.get_database": "pymongo.MongoClient",
    "pymongo.MongoClient.get_collection": "pymongo.MongoClient",
    "elasticsearch.Elasticsearch": "elasticsearch.Elasticsearch",
    "minio.Minio": "minio.Minio",
    "google.cloud.storage.Client": "google.cloud.storage.Client",
    "telebot.TeleBot": "telebot.TeleBot",
    "pika.BlockingConnection": "pika.BlockingConnection",
    "dualio.default_portal": "dualio.Portal",
}

# What calling an *instance* of a factory type returns (``SessionLocal = sessionmaker(...)``; ``SessionLocal()``).
FACTORY_RESULTS: dict[str, str] = {
    "sqlalchemy.orm.sessionmaker": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.scoped_session": "sqlalchemy.orm.Session",
    "sqlalchemy.ext.asyncio.async_sessionmaker": "sqlalchemy.ext.asyncio.AsyncSession",
}

# Private or alternative spellings of the types above.
TYPE_ALIASES: dict[str, str] = {
    "httpx._client.Client": "httpx.Client",
    "httpx._client.AsyncClient": "httpx.AsyncClient",
    "requests.sessions.Session": "requests.Session",
    "sqlalchemy.orm.session.Session": "sqlalchemy.orm.Session",
    "sqlalchemy.engine.Engine": "sqlalchemy.Engine",
    "sqlalchemy.engine.base.Engine": "sqlalchemy.Engine",
    "sqlalchemy.engine.Connection": "sqlalchemy.Connection",
    "sqlalchemy.engine.base.Connection": "sqlalchemy.Connection",
    "sqlalchemy.ext.asyncio.engine.AsyncEngine": "sqlalchemy.ext.asyncio.AsyncEngine",
    "sqlalchemy.ext.asyncio.session.AsyncSession": "sqlalchemy.ext.asyncio.AsyncSession",
    "redis.StrictRedis": "redis.Redis",
    "redis.client.Redis": "redis.Redis",
    "redis.asyncio.client.Redis": "redis.asyncio.Redis",
    "redis.asyncio.StrictRedis": "redis.asyncio.Redis",
    "psycopg.connection.Connection": "psycopg.Connection",
    "psycopg.Cursor": "dbapi.Cursor",
    "psycopg2.extensions.connection": "psycopg2.connection",
    "psycopg2.extensions.cursor": "dbapi.Cursor",
    "pymysql.connections.Connection": "pymysql.Connection",
    "pymysql.cursors.Cursor": "dbapi.Cursor",
    "sqlite3.dbapi2.Connection": "sqlite3.Connection",
    "pathlib.PosixPath": "pathlib.Path",
    "pathlib.WindowsPath": "pathlib.Path",
    "asyncio.BaseEventLoop": "asyncio.AbstractEventLoop",
    "asyncio.events.AbstractEventLoop": "asyncio.AbstractEventLoop",
    "asyncio.locks.Lock": "asyncio.Lock",
    "asyncio.locks.Event": "asyncio.Event",
    "asyncio.locks.Semaphore": "asyncio.Semaphore",
    "asyncio.queues.Queue": "asyncio.Queue",
    "asyncio.taskgroups.TaskGroup": "asyncio.TaskGroup",
    "asyncio.tasks.create_task": "asyncio.create_task",
    "asyncio.tasks.ensure_future": "asyncio.ensure_future",
    "asyncio.runners.run": "asyncio.run",
    "asyncio.events.get_event_loop": "asyncio.get_event_loop",
    "asyncio.events.get_running_loop": "asyncio.get_running_loop",
    "concurrent.futures._base.Future": "concurrent.futures.Future",
    "asyncpg.connection.Connection": "asyncpg.Connection",
    "asyncpg.pool.Pool": "asyncpg.Pool",
    "aiohttp.client.ClientSession": "aiohttp.ClientSession",
    "dualio._portal.Portal": "dualio.Portal",
    "dualio._default.run": "dualio.run",
    "dualio._default.run_async_task": "dualio.run_async_task",
    "dualio._default.iterate": "dualio.iterate",
    "dualio._default.enter": "dualio.enter",
    "dualio._default.default_portal": "dualio.default_portal",
    "trio.Nursery": "trio.Nursery",
    "openai._client.OpenAI": "openai.OpenAI",
    "sqlmodel.Session": "sqlalchemy.orm.Session",
    "sqlmodel.orm.session.Session": "sqlalchemy.orm.Session",
    "anthropic._client.Anthropic": "anthropic.Anthropic",
    "pymongo.mongo_client.MongoClient": "pymongo.MongoClient",
    "pymongo.database.Database": "pymongo.MongoClient",
    "pymongo.collection.Collection": "pymongo.MongoClient",
    "google.cloud.storage.client.Client": "google.cloud.storage.Client",
}
