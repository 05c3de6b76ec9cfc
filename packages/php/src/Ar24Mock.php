<?php

declare(strict_types=1);

namespace Ar24Mock;

/**
 * A running AR24 mock, as its default partner: `Ar24Mock::start(['auth' => 'plain'])`.
 * Settings are the mock's flags (`ar24-mock --help`), as written or in camelCase.
 * The binary is `AR24_MOCK_BIN`, else `ar24-mock` on the PATH.
 */
final class Ar24Mock extends Partner
{
    /** @var resource */
    private $process;

    /** @param resource $process */
    private function __construct($process, string $url, string $token, string $privateKey, ?string $controlToken)
    {
        parent::__construct($url, $token, $privateKey, $controlToken);
        $this->process = $process;
    }

    /** The ar24-mock executable: `AR24_MOCK_BIN`, else the first `ar24-mock` on the PATH. */
    public static function binary(): string
    {
        $explicit = getenv('AR24_MOCK_BIN');
        if ($explicit !== false && $explicit !== '') {
            return $explicit;
        }
        foreach (explode(PATH_SEPARATOR, (string) getenv('PATH')) as $dir) {
            if ($dir !== '' && is_executable("$dir/ar24-mock")) {
                return "$dir/ar24-mock";
            }
        }
        throw new \RuntimeException('no ar24-mock binary: put it on the PATH or set AR24_MOCK_BIN');
    }

    /** Starts a mock on a free port and answers it once it is healthy. */
    public static function start(array $settings = [], float $timeout = 20.0): self
    {
        $settings += ['port' => 0, 'quiet' => true];
        $command = [self::binary()];
        foreach ($settings as $name => $value) {
            $flag = '--' . strtolower(preg_replace('/[A-Z]/', '-$0', str_replace('_', '-', (string) $name)));
            if ($value === true) {
                $command[] = $flag;
            } elseif ($value !== false && $value !== null) {
                array_push($command, $flag, (string) $value);
            }
        }
        // Warnings go to a file, never to a pipe nobody reads (a full pipe would stop the mock).
        $log = tempnam(sys_get_temp_dir(), 'ar24-mock-');
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['file', $log, 'a']], $pipes);
        if (!is_resource($process)) {
            throw new \RuntimeException('ar24-mock could not be run');
        }
        $banner = [];
        while (!isset($banner['mailbox']) && ($line = fgets($pipes[1])) !== false) {
            [$name, $value] = array_pad(explode(' : ', trim($line), 2), 2, null);
            if ($value !== null) {
                $banner[trim($name)] = trim($value);
            }
        }
        if (!isset($banner['API base URL'])) {
            proc_close($process);
            $error = file_get_contents($log);
            throw new \RuntimeException('ar24-mock did not start: ' . trim((string) $error));
        }
        // Nothing more is read: the mock writes nothing more to stdout, and `quiet` keeps stderr to warnings.
        $url = substr($banner['API base URL'], 0, -strlen('api/'));
        $controlToken = $settings['control-token'] ?? $settings['control_token'] ?? $settings['controlToken'] ?? null;
        $mock = new self($process, $url, $banner['token'], $banner['private key'], $controlToken);
        $deadline = microtime(true) + $timeout;
        while (true) {
            try {
                $mock->control('GET', 'health');
                return $mock;
            } catch (\RuntimeException $notYet) {
                if (microtime(true) > $deadline) {
                    $mock->stop();
                    throw $notYet;
                }
                usleep(50_000);
            }
        }
    }

    /** Every email in the outbox, oldest first, filtered by recipient and kind. */
    public function emails(?string $to = null, ?string $kind = null): array
    {
        return $this->allEmails($to, $kind);
    }

    /** Forgets every user, email and letter (with a seed: back to it); partners stay. */
    public function reset(): void
    {
        $this->control('POST', 'reset');
    }

    /** A partner of its own (token and key generated), for a test that runs beside others. */
    public function newPartner(array $settings = []): Partner
    {
        $made = $this->control('POST', 'partners', $settings);
        return new Partner($this->url, $made['token'], $made['private_key'], $this->controlToken);
    }

    /** Stops the mock and waits for it. */
    public function stop(): void
    {
        if (is_resource($this->process)) {
            proc_terminate($this->process);
            proc_close($this->process);
        }
    }

    public function __destruct()
    {
        $this->stop();
    }
}
