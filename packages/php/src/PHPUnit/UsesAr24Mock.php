<?php

declare(strict_types=1);

namespace Ar24Mock\PHPUnit;

use Ar24Mock\Partner;

/**
 * A partner of its own for each test (`$this->ar24`: its `baseUrl()`, `token`,
 * `privateKey`, `emails()`, `click()`), reset after the test, on the run's mock.
 */
trait UsesAr24Mock
{
    protected Partner $ar24;

    /** @before */
    public function startAr24Partner(): void
    {
        $this->ar24 = Extension::mock()->newPartner(['name' => static::class . '::' . $this->getName()]);
    }

    /** @after */
    public function resetAr24Partner(): void
    {
        $this->ar24->reset();
    }
}
