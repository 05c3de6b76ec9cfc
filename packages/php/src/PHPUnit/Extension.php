<?php

declare(strict_types=1);

namespace Ar24Mock\PHPUnit;

use Ar24Mock\Ar24Mock;
use PHPUnit\Runner\AfterLastTestHook;
use PHPUnit\Runner\BeforeFirstTestHook;

/**
 * Starts one mock per PHPUnit run, stopped after the last test. In phpunit.xml:
 *
 *     <extensions>
 *         <extension class="Ar24Mock\PHPUnit\Extension">
 *             <arguments><array><element key="auth"><string>plain</string></element></array></arguments>
 *         </extension>
 *     </extensions>
 *
 * Tests get a partner of their own with the `UsesAr24Mock` trait.
 */
final class Extension implements BeforeFirstTestHook, AfterLastTestHook
{
    private static ?Ar24Mock $mock = null;

    /** @param array<string, string|int|bool> $settings the mock's flags */
    public function __construct(private readonly array $settings = [])
    {
    }

    /** The run's mock, started at the first test that asks for it. */
    public static function mock(array $settings = []): Ar24Mock
    {
        return self::$mock ??= Ar24Mock::start($settings);
    }

    public function executeBeforeFirstTest(): void
    {
        self::mock($this->settings);
    }

    public function executeAfterLastTest(): void
    {
        self::$mock?->stop();
        self::$mock = null;
    }
}
