Feature: Attaching an existing AR24 account
  When the person already has an AR24 account, creating one answers
  "user_already_exist". The partner then asks the account holder, through
  "user/request_access", to attach the account to its API; once the holder
  accepts, the partner sees the account.

  @needs_second_partner
  Scenario: Creating an account for an address that already has one
    Given Dana has an AR24 account that is not attached to us
    When we create the user Dana
    Then the call fails with "user_already_exist"

  @needs_second_partner
  Scenario: An account not attached to us is unavailable
    Given Dana has an AR24 account that is not attached to us
    When we read Dana by email
    Then the call fails with "user_unavailable"

  @needs_second_partner
  Scenario: Asking the account holder for access
    Given Dana has an AR24 account that is not attached to us
    When we ask Dana for access to their account
    Then the call succeeds
    And we still cannot read Dana by email

  @needs_second_partner @out_of_band
  Scenario: Once the holder accepts, the account is attached to us
    Given Dana has an AR24 account that is not attached to us
    When we ask Dana for access to their account
    And Dana accepts the access request sent by email
    Then we can read Dana by email
    And our user list shows Dana

  Scenario: Asking first tells us whether to create the account
    When we ask Erin for access to their account
    Then the call fails with "user_not_exist"
    When we create the user Erin
    Then the call succeeds

  Scenario: Asking for access to an account we already see
    Given the user Alice was created
    When we ask Alice for access to their account
    Then the call fails with "access_already_granted"
