/*
 * main.c - the doorman daemon
 *
 * SYNOPSIS
 *	doorman [-f] [-c file]	run
 *	doorman -n [-c file]	check the policy file and exit
 *	doorman -D		print every setting with its type and default
 *	doorman -V		print the version
 *	doorman -R [-o dir] [-c file]	send (or write) DMARC aggregate reports
 *	doorman -t [-c file] ...	trace one session without an MTA (tracecmd.c)
 *
 * Start-up order matters for security: load and check the policy (an
 * invalid one is never run), bind the socket as the starting user,
 * detach (unless -f), write the pid file, then drop to milter.user before
 * any connection is served.  SIGUSR1 reloads the policy; a policy that does
 * not load leaves the running one in place.  SIGHUP, SIGTERM and SIGINT
 * stop it (the engine waits for them: proto_run() in the main thread,
 * libmilter in a thread of its own).  milter.engine chooses the engine
 * (engine.h) at start; a reload cannot change it.  The policy, the
 * resolver and the DKIM/DMARC state are freed only once the engine says no
 * callback is left, and not at all if one still runs (the process exits
 * under it).  The descriptor limit is raised, while root, to what
 * milter.max_connections needs.  Under systemd (the unit of dist/,
 * Type=notify) service.c says READY=1 once the socket listens; started
 * already as milter.user (the unit's User=), nothing is dropped.
 */
#define _GNU_SOURCE /* pthread_setattr_default_np */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "dkimkeys.h"
#include "dns.h"
#include "engine.h"
#include "errs.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "milter.h"
#include "report.h"
#include "schema.h"
#include "service.h"
#include "tracecmd.h"
#include "version.h"

static void
usage(void)
{
	fprintf(stderr, "usage: doorman [-f] [-c file] | -n [-c file] | -R [-o dir] [-c file] | -D | -V\n"
			"       doorman -t [-c file] [-l listener | -p policy] -a address [-N name]\n"
			"               [-H helo] [-u user] -s sender -r rcpt [-r rcpt ...] [-m file] [-j]\n");
	exit(2);
}

static void
print_schema(void)
{
	for (size_t i = 0; i < schema_len; i++)
		printf("%s%s\t%s\t%s\t%s\n", schema[i].scope == SCOPE_POLICY ? "policies.NAME." : "",
		       schema[i].name, setting_type_name(schema[i].type),
		       *schema[i].def ? schema[i].def : "\"\"", schema[i].doc);
}

static struct config *
load_or_report(const char *path)
{
	struct errs errs = { 0 };
	struct config *c = config_load(path, &errs);

	if (c == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			log_msg(LOG_ERR, "%s", errs.v[i]);
	}
	errs_free(&errs);
	return c;
}

static const char *config_path = DOORMAN_DEFAULT_CONFIG;
static char abs_path[PATH_MAX];

/*
 * The snapshot the process started with, held for its whole life: the
 * settings only a start applies (socket, user, pid file, resolver) are
 * read from it, and a reload that changes them says so.
 */
static struct config *first;

static bool
strlist_equal(const struct strlist *a, const struct strlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

static void
warn_restart_only(const struct config *c)
{
	if (strcmp(c->socket, first->socket) != 0 || strcmp(c->user, first->user) != 0 ||
	    strcmp(c->socket_group, first->socket_group) != 0 ||
	    strcmp(c->socket_mode, first->socket_mode) != 0 ||
	    strcmp(c->pidfile, first->pidfile) != 0 ||
	    !strlist_equal(&c->resolver_upstreams, &first->resolver_upstreams) ||
	    !strlist_equal(&c->resolver_unblock, &first->resolver_unblock) ||
	    !strlist_equal(&c->resolver_zones, &first->resolver_zones) ||
	    strcmp(c->public_suffix_list, first->public_suffix_list) != 0 ||
	    strcmp(c->engine, first->engine) != 0 || strcmp(c->metrics_listen, first->metrics_listen) != 0)
		log_msg(LOG_WARNING, "reload: milter.socket, milter.user, milter.socket_group, "
				     "milter.socket_mode, milter.pidfile, "
				     "milter.engine, metrics.listen, resolver.upstreams/unblock/zones and "
				     "dmarc.public_suffix_list take effect at the next start only");
}

static struct dns *resolver; /* set before the reload thread starts */

/*
 * Every thread started from here on (proto.c's workers and libunbound's)
 * gets a THREAD_STACK stack instead of glibc's 8 MB default.
 * glibc keeps the stacks of finished threads for new ones, up to 40 MB in
 * all: five 8 MB stacks, so each new connection mapped, faulted in and
 * unmapped a fresh stack, which profiled as a third of doorman's CPU under
 * load (bench/README).  Nothing doorman or its libraries run on a
 * connection's thread needs more than a few tens of KB.
 */
#define THREAD_STACK (512 * 1024)

static void
set_thread_stacks(void)
{
	pthread_attr_t attr;

	if (pthread_attr_init(&attr) != 0)
		return;
	if (pthread_attr_setstacksize(&attr, THREAD_STACK) != 0 ||
	    pthread_setattr_default_np(&attr) != 0)
		log_msg(LOG_WARNING, "cannot set the threads' stack size: keeping the default");
	pthread_attr_destroy(&attr);
}

static void
log_dns_stats(void)
{
	unsigned long hits, misses;
	struct dns_stats st;

	dns_stats_get(resolver, &st);
	log_msg(LOG_INFO,
		"dns queries=%lu cache_hits=%lu answers=%lu timeouts=%lu failures=%lu over_budget=%lu",
		st.queries, st.cache_hits, st.answers, st.timeouts, st.failures, st.over_budget);
	dkimkeys_stats(&hits, &misses);
	log_msg(LOG_INFO, "dkim keys decoded=%lu reused=%lu", misses, hits);
}

/* SIGUSR1 is blocked in every thread; this one waits for it. */
static void *
reload_thread(void *arg)
{
	sigset_t set;
	int sig;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		struct config *c;
		if (sigwait(&set, &sig) != 0)
			continue;
		log_dns_stats();
		service_reloading();
		log_msg(LOG_INFO, "reload: reading %s", config_path);
		if ((c = load_or_report(config_path)) == NULL) {
			log_msg(LOG_ERR, "reload: %s not loaded, the running policy stays", config_path);
			metrics_reloaded(false);
			service_ready();
			continue;
		}
		warn_restart_only(c);
		config_current_set(c);
		metrics_reloaded(true);
		log_msg(LOG_INFO, "reload: %s loaded", config_path);
		service_ready();
	}
	return NULL;
}

/* milter.socket_mode (the schema checked it is octal) */
static mode_t
socket_mode(const struct config *cfg)
{
	return (mode_t)strtol(cfg->socket_mode, NULL, 8);
}

/*
 * The pid file is written as root, before the drop, and removed at stop by
 * milter.user: so its directory must be one that user may write.  A
 * missing directory (the default /run/doorman, on a tmpfs emptied at
 * boot) is made for that user, one level deep; an existing one is left
 * as it is, with a warning if the user cannot remove the file there.
 */
static int
pidfile_dir(const char *path, const struct passwd *pw)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;
	int fd;

	if (slash == NULL || slash == path || (size_t)(slash - path) >= sizeof(dir))
		return 0;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (mkdir(dir, 0750) == 0) {
		if (pw == NULL)
			return 0;
		/* the directory just made, never a link put there since */
		if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
		    fchown(fd, pw->pw_uid, pw->pw_gid) < 0) {
			log_msg(LOG_ERR, "pid file directory %s: %s", dir, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
		return 0;
	}
	if (errno != EEXIST) {
		log_msg(LOG_ERR, "pid file directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (pw != NULL && pw->pw_uid != 0 && stat(dir, &st) == 0 && st.st_uid != pw->pw_uid)
		log_msg(LOG_WARNING,
			"pid file %s: %s does not belong to milter.user %s, which cannot remove "
			"the file at stop (the default /run/doorman/doorman.pid is made for it)",
			path, dir, pw->pw_name);
	return 0;
}

static int
write_pidfile(const char *path, const struct passwd *pw)
{
	char buf[32];
	int fd, len;

	if (*path == '\0')
		return 0;
	if (pidfile_dir(path, pw) < 0)
		return -1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0) {
		log_msg(LOG_ERR, "pid file %s: %s", path, strerror(errno));
		return -1;
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)len) != len) {
		log_msg(LOG_ERR, "pid file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void
remove_pidfile(const char *path)
{
	if (*path != '\0' && unlink(path) < 0 && errno != ENOENT)
		log_msg(LOG_WARNING, "cannot remove the pid file %s: %s", path, strerror(errno));
}

/*
 * The unix socket's owner, group and mode: milter.user (it is the
 * process's after the drop), milter.socket_group (the MTA's user joins
 * it; else milter.user's primary group) and milter.socket_mode.  Set as
 * root, on the inode bound (either engine), before the drop.
 */
static int
own_socket(const struct config *cfg, const struct passwd *pw)
{
	uid_t uid = pw != NULL ? pw->pw_uid : (uid_t)-1;
	gid_t gid = pw != NULL ? pw->pw_gid : (gid_t)-1;
	struct group gr, *grp = NULL;
	char buf[4096], why[256];

	if (*cfg->socket_group) {
		if (getgrnam_r(cfg->socket_group, &gr, buf, sizeof(buf), &grp) != 0 || grp == NULL) {
			log_msg(LOG_ERR, "milter.socket_group: no such group \"%s\"",
				cfg->socket_group);
			return -1;
		}
		gid = grp->gr_gid;
	}
	if (proto_unix_own(uid, gid, socket_mode(cfg), why, sizeof(why)) < 0) {
		log_msg(LOG_ERR, "%s", why);
		return -1;
	}
	return 0;
}

/* milter.user's entry in *RES, NULL for none (the starting user stays) */
static int
lookup_user(const char *user, struct passwd *pw, char *buf, size_t buflen, struct passwd **res)
{
	*res = NULL;
	if (*user == '\0')
		return 0;
	if (getpwnam_r(user, pw, buf, buflen, res) != 0 || *res == NULL) {
		log_msg(LOG_ERR, "milter.user: no such user \"%s\"", user);
		return -1;
	}
	return 0;
}

static int
drop_privileges(const struct passwd *pw)
{
	if (pw == NULL) {
		if (geteuid() == 0)
			log_msg(LOG_WARNING, "running as root: set milter.user to drop privileges");
		return 0;
	}
	/* started as that user already (the systemd unit's User=): nothing to drop */
	if (pw->pw_uid != 0 && getuid() == pw->pw_uid && geteuid() == pw->pw_uid)
		return 0;
	if (setgid(pw->pw_gid) < 0 || initgroups(pw->pw_name, pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		log_msg(LOG_ERR, "cannot become user %s: %s", pw->pw_name, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		log_msg(LOG_ERR, "dropped to %s but could become root again", pw->pw_name);
		return -1;
	}
	return 0;
}

/*
 * The write end of the pipe the starting process waits on: the detached
 * daemon writes one byte once it serves; if it exits first, the starter
 * sees the end of the pipe and exits 1.  So `doorman` (detaching) exits 0
 * only when doorman runs, as a postmaster's start script expects.
 */
static int ready_fd = -1;

static void
tell_ready(void)
{
	if (ready_fd >= 0) {
		(void)!write(ready_fd, "", 1);
		close(ready_fd);
		ready_fd = -1;
	}
}

static int
daemonize(void)
{
	int fd, p[2];
	pid_t pid;
	char b;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid > 0) {
		ssize_t n;
		close(p[1]);
		do
			n = read(p[0], &b, 1);
		while (n < 0 && errno == EINTR);
		/* one byte: serving; the end of the pipe: it failed (and logged why) */
		_exit(n == 1 ? 0 : 1);
	}
	close(p[0]);
	ready_fd = p[1];
	if (setsid() < 0)
		return -1;
	if (chdir("/") < 0)
		return -1;
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return 0;
}

/* The process's one resolver, from the settings the process started with. */
static struct dns *
start_resolver(const struct config *cfg)
{
	char why[256];
	struct dns *d = config_resolver_new(cfg, why, sizeof(why));

	if (d == NULL)
		log_msg(LOG_ERR, "%s", why);
	return d;
}

/*
 * Descriptors the process needs besides its MTA connections: the
 * listener, the resolver's sockets, callouts, the store, log and data
 * files.  The soft limit is raised to max_connections plus these (the
 * hard one too while root), so the limit, not a surprise, is what refuses
 * connections; below it doorman still starts, and says how many fit.
 */
#define FD_RESERVE 256

static void
raise_fd_limit(long max_connections)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)max_connections + FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	if (rl.rlim_max < want && geteuid() == 0) {
		struct rlimit up = { want, want };
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			return;
	}
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
		log_msg(LOG_WARNING,
			"milter.max_connections %ld needs %lu file descriptors, the limit is %lu: "
			"about %ld connections fit",
			max_connections, (unsigned long)want, (unsigned long)rl.rlim_cur,
			(long)rl.rlim_cur > FD_RESERVE ? (long)rl.rlim_cur - FD_RESERVE : 0);
}

/* Bind (through engine E), detach, write the pid file, drop privileges:
 * in that order. */
static int
serve_setup(const struct engine *e, const struct config *cfg, bool foreground)
{
	char why[256];

	struct passwd pwbuf, *pw;
	char pwmem[4096];

	if (lookup_user(cfg->user, &pwbuf, pwmem, sizeof(pwmem), &pw) < 0)
		return -1;
	raise_fd_limit(cfg->max_connections); /* while still root */
	/* a unix socket is never more open than milter.socket_mode, from the bind on */
	umask(~socket_mode(cfg) & 0777);
	/* the metrics endpoint first: refused, it leaves no milter socket behind */
	if (metrics_http_bind(cfg->metrics_listen, why, sizeof(why)) < 0) {
		log_msg(LOG_ERR, "%s", why);
		return -1;
	}
	if (e->listen(cfg->socket, &milter_filter, (int)cfg->timeout, why, sizeof(why)) < 0) {
		log_msg(LOG_ERR, "%s", why);
		metrics_http_stop();
		return -1;
	}
	umask(007); /* the files doorman makes: owner and group only */
	if (!foreground && daemonize() < 0) {
		log_msg(LOG_ERR, "cannot detach: %s", strerror(errno));
		return -1;
	}
	if (write_pidfile(cfg->pidfile, pw) < 0 || own_socket(cfg, pw) < 0 ||
	    drop_privileges(pw) < 0)
		return -1; /* the process exits: that closes the socket */
	return 0;
}

int
main(int argc, char **argv)
{
	bool check_only = false, foreground = false, report = false, trace = false, trace_bad = false;
	struct trace_opts topts = { 0 };
	const char *outdir = NULL;
	const struct engine *engine;
	struct config *cfg;
	struct dns *dns;
	pthread_t tid;
	sigset_t set, stop;
	char why[256];
	int ch, rc;

	while ((ch = getopt(argc, argv, "c:fnRo:DVhta:N:H:l:p:u:s:r:m:j")) != -1) {
		switch (ch) {
		case 't':
			trace = true;
			break;
		case 'a':
		case 'N':
		case 'H':
		case 'l':
		case 'p':
		case 'u':
		case 's':
		case 'r':
		case 'm':
		case 'j':
			if (trace_opt(&topts, ch, optarg) < 0)
				trace_bad = true;
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'n':
			check_only = true;
			break;
		case 'R':
			report = true;
			break;
		case 'o':
			outdir = optarg;
			break;
		case 'D':
			print_schema();
			return 0;
		case 'V':
			printf("doorman %s\n", DOORMAN_VERSION);
			return 0;
		default:
			trace_bad = true; /* usage(), or status 3 for -t */
		}
	}
	if (trace_bad && !trace)
		usage();
	if (trace) {
		/* a usage error is exit status 3 here, as a script reading the
		 * verdict from the status expects */
		if (optind != argc || trace_bad || check_only || foreground || report || outdir != NULL) {
			fprintf(stderr, "doorman -t: an option given twice, or one -t does not take\n");
			return 3;
		}
		return trace_run(config_path, &topts);
	}
	if (optind != argc || trace_bad || topts.addr || topts.sender || topts.nrcpt || topts.name ||
	    topts.helo || topts.listener || topts.policy || topts.auth || topts.msgfile || topts.json ||
	    (outdir != NULL && !report) || (report && (check_only || foreground)))
		usage();

	if (check_only) {
		struct errs errs = { 0 };
		cfg = config_load(config_path, &errs);
		errs_print(&errs, stderr);
		errs_free(&errs);
		if (cfg == NULL)
			return 1;
		config_unref(cfg);
		return 0;
	}
	if (report) {
		struct errs errs = { 0 };
		cfg = config_load(config_path, &errs);
		errs_print(&errs, stderr);
		errs_free(&errs);
		if (cfg == NULL)
			return 2;
		log_open("doorman", true, LOG_MAIL);
		rc = report_run(cfg, outdir);
		config_unref(cfg);
		return rc;
	}

	/* daemonize() changes to "/": reloads need the file's absolute name */
	if (realpath(config_path, abs_path) != NULL)
		config_path = abs_path;

	/* errors before the log is open go to stderr, where the starter sees them */
	log_open("doorman", true, LOG_MAIL);
	if ((cfg = load_or_report(config_path)) == NULL) {
		log_msg(LOG_ERR, "%s: not starting with an invalid policy", config_path);
		return 1;
	}
	if (!foreground)
		log_open("doorman", false, log_facility_parse(cfg->log_facility));

	first = cfg; /* main's reference, kept to the end */
	engine = engine_by_name(cfg->engine); /* the schema admits no other name */
	milter_set_engine(engine);
	if (serve_setup(engine, cfg, foreground) < 0) {
		config_unref(first);
		return 1;
	}
	/*
	 * Block the signals that threads sigwait() for before any thread
	 * starts: SIGUSR1 for reload_thread, SIGHUP/SIGTERM/SIGINT for the
	 * engine (proto_run() in this thread, or libmilter's own thread).  A
	 * thread that left SIGTERM unblocked would take it and die by its
	 * default action.
	 */
	sigemptyset(&stop);
	sigaddset(&stop, SIGHUP);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	set = stop;
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	set_thread_stacks();
	signal(SIGPIPE, SIG_IGN);
	/* after detaching (a fork would lose its thread), with signals blocked */
	if ((dns = start_resolver(cfg)) == NULL) {
		config_unref(first);
		return 1;
	}
	if (auth_init(cfg->public_suffix_list, cfg->authserv_id, why, sizeof(why)) < 0) {
		log_msg(LOG_ERR, "%s", why);
		config_unref(first);
		dns_free(dns);
		return 1;
	}
	if (metrics_http_start(why, sizeof(why)) < 0) {
		log_msg(LOG_ERR, "%s", why);
		config_unref(first);
		auth_shutdown();
		dns_free(dns);
		return 1;
	}
	if (*cfg->metrics_listen)
		log_msg(LOG_INFO, "metrics served on %s", cfg->metrics_listen);
	metrics_reloaded(true);
	milter_set_dns(dns);
	resolver = dns;
	config_current_set(config_ref(cfg));
	if (pthread_create(&tid, NULL, reload_thread, NULL) != 0) {
		log_msg(LOG_ERR, "cannot start the reload thread");
		config_current_set(NULL);
		config_unref(first);
		dns_free(dns);
		return 1;
	}
	pthread_detach(tid);

	log_msg(LOG_INFO, "doorman %s listening on %s, policy %s, engine %s", DOORMAN_VERSION,
		cfg->socket, config_path, engine->name);
	tell_ready();
	service_ready();
	proto_set_max_connections((int)cfg->max_connections);
	rc = engine->run(&stop);
	service_stopping();
	if (rc == 1) {
		/* callbacks still run: what they use stays; the exit ends them */
		log_msg(LOG_WARNING, "doorman stopped without waiting for every command");
		remove_pidfile(first->pidfile);
		fflush(NULL);
		_exit(1);
	}
	log_dns_stats();
	metrics_http_stop();
	remove_pidfile(first->pidfile);
	config_current_set(NULL);
	config_unref(first);
	auth_shutdown();
	dns_free(dns);
	log_msg(LOG_INFO, "doorman stopped");
	return rc == 0 ? 0 : 1;
}
