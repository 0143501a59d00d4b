# push-wait.pl -- rlm_perl: the "push" user waits for the delay in
# ${mfa_dir}/push_delay (seconds, fractions OK; default 3), read on each
# request, as if a human were approving a push notification. It blocks one
# thread of the pool, and nothing else: no process is started, so that
# thousands of pushes at once (t-fault-storm) cost the machine little
# besides the wait (an exec module forked a shell and a sleep per push).
use strict;
use warnings;
use Time::HiRes ();

our %RAD_PERLCONF;

use constant RLM_MODULE_OK => 2;

sub authorize {
	my $delay = 3;
	if (open(my $fh, '<', $RAD_PERLCONF{delay_file})) {
		my $line = <$fh>;
		close($fh);
		$delay = $1 if defined $line && $line =~ /^\s*([0-9]+(?:\.[0-9]*)?)\s*$/;
	}
	Time::HiRes::sleep($delay) if $delay > 0;
	return RLM_MODULE_OK;
}

1;
