Feature: Creating a user
  Every sender of a registered letter needs an AR24 account. A partner creates
  one through the "user" route; AR24 answers the new account with its id.

  Scenario: Creating a private person
    When we create the user Alice
    Then the call succeeds
    And Alice has an AR24 id
    And the answer is a user object with every documented field

  Scenario: A new user has neither accepted the CGU nor a payment method
    When we create the user Alice
    Then Alice has not accepted the CGU
    And Alice has no payment method of their own

  Scenario Outline: Each required field must be given
    When we create the user Alice without "<field>"
    Then the call fails with "<slug>"

    Examples:
      | field     | slug              |
      | firstname | missing_firstname |
      | lastname  | missing_lastname  |
      | email     | missing_email     |
      | gender    | error_gender      |
      | statut    | error_statut      |
      | address1  | missing_address   |
      | zipcode   | missing_zipcode   |
      | city      | missing_city      |
      | country   | missing_country   |

  Scenario Outline: Invalid values are refused
    When we create the user Alice with "<field>" set to "<value>"
    Then the call fails with "<slug>"

    Examples:
      | field   | value          | slug               |
      | email   | not-an-address | email_wrong_format |
      | email   | jean@          | email_wrong_format |
      | gender  | X              | error_gender       |
      | statut  | entreprise     | error_statut       |
      | country | ZZ             | error_country      |
      | country | France         | error_country      |

  Scenario Outline: Professionals need a SIRET in France and a VAT number elsewhere in the EU
    When we create the user Alice with these details:
      | statut        | <statut>  |
      | country       | <country> |
      | company       | ACME      |
      | company_siret | <siret>   |
      | company_tva   | <vat>     |
    Then the answer is "<answer>"

    Examples:
      | statut         | country | siret          | vat           | answer                |
      | professionnel  | FR      |                |               | missing_company_siret |
      | administration | FR      |                |               | missing_company_siret |
      | professionnel  | FR      | 73282932000074 |               | SUCCESS               |
      | professionnel  | DE      |                |               | missing_company_tva   |
      | administration | IT      |                |               | missing_company_tva   |
      | professionnel  | DE      |                | DE123456789   | SUCCESS               |
      | professionnel  | CH      |                |               | SUCCESS               |
      | association    | FR      |                |               | SUCCESS               |
      | particulier    | DE      |                |               | SUCCESS               |

  Scenario Outline: A French professional's SIRET must be a registered company's
    When we create the user Alice with these details:
      | statut        | professionnel |
      | country       | FR            |
      | company       | ACME          |
      | company_siret | <siret>       |
    Then the answer is "<answer>"

    # The valid SIRETs are real, registered establishments (public data), so
    # that AR24's sandbox, which looks the SIRET up, answers the same.
    Examples:
      | siret          | answer              |
      | 73282932000074 | SUCCESS             |
      | 44306184100047 | SUCCESS             |
      | 35600000000048 | SUCCESS             |
      | 73282932000075 | error_company_siret |
      | 7328293200007  | error_company_siret |
      | 732829320000740 | error_company_siret |
      | 7328293200007A | error_company_siret |
      | 35600000000049 | error_company_siret |

  Scenario: An email address that already has an account cannot get another
    Given the user Alice was created
    When we create another user with Alice's email
    Then the call fails with "user_already_exist"

  Scenario: Email addresses are the same whatever their case
    Given the user Alice was created
    When we create another user with Alice's email in capitals
    Then the call fails with "user_already_exist"

  Scenario Outline: The same user can be created with either form encoding, with or without a trailing slash
    When we create the user Alice sending the form <encoding> to "<route>"
    Then the call succeeds
    And Alice has an AR24 id
    And the answer is a user object with every documented field
    When we read Alice by id
    Then the answer is Alice's account

    Examples:
      | encoding   | route |
      | urlencoded | user  |
      | urlencoded | user/ |
      | multipart  | user  |
      | multipart  | user/ |

  @needs_no_cgu_preaccepted
  Scenario: The CGU cannot be accepted at creation unless AR24 enabled it for us
    When we create the user Alice with the CGU pre-accepted
    Then the call succeeds
    And Alice has not accepted the CGU

  @needs_cgu_preaccepted
  Scenario: A partner AR24 enabled creates users who accepted the CGU
    Given AR24 lets us create users with the CGU pre-accepted
    When we create the user Alice with the CGU pre-accepted
    Then the call succeeds
    And Alice has accepted the CGU
