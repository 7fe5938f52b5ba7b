@platform
Feature: Test control is offered only with a token, and the token stays secret
  As an operator of a shared test platform
  I want test control to exist only when I give the platform a control token
  So that nobody steers the platform by accident, and the token never leaks

  Scenario: Without a control token, the platform has no control surface
    Given a platform started without a control token
    Then its health check does not list control
    And every control operation there is an unknown path
    And its API description has no control operations

  Scenario: With a control token, the API description covers control and its bearer scheme
    Given a platform started with a control token
    When I fetch the OpenAPI document
    Then it is a valid OpenAPI 3 document
    And it describes the control operations, each needing the bearer token

  @security
  Scenario: A refused control request is logged without any token
    Given a platform started with a control token
    When a control request there bears a wrong token
    Then the platform logs the refusal in one warning line
    And neither token appears in its log, health check, documentation or API description
